"""The worked examples: `govrule eval --format json` gives exactly the expected values."""
from __future__ import annotations

import json

import pytest

from conftest import DATA, POLICIES, expected, run_cli

CASES = {"yima": "yima-2020.rule", "fengqiu": "fengqiu.rule"}


def same(got, want) -> bool:
    if want is None or isinstance(want, bool):
        return got is want
    if isinstance(want, dict):
        return isinstance(got, dict) and set(got) == set(want) and all(same(got[k], want[k]) for k in want)
    if isinstance(want, int):
        return type(got) is int and got == want          # points are exact
    return isinstance(got, (int, float)) and not isinstance(got, bool) and abs(got - want) <= 1e-6


@pytest.mark.parametrize("name", CASES)
def test_eval_json_matches_expected(name):
    done = run_cli("eval", str(POLICIES / CASES[name]), str(DATA / name / "ledger.csv"), "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    got = {u["unit"]: u["results"] for u in data["units"]}
    want = expected(name)
    assert set(got) == set(want), "every declared unit is listed, and no other"
    mismatches = [(unit, key, got[unit].get(key), value) for unit, outs in want.items()
                  for key, value in outs.items() if not same(got[unit].get(key), value)]
    assert mismatches == []


@pytest.mark.parametrize("name", CASES)
def test_json_follows_the_output_contract(name):
    done = run_cli("eval", str(POLICIES / CASES[name]), str(DATA / name / "ledger.csv"), "--format", "json")
    data = json.loads(done.stdout)
    assert set(data) == {"policy", "period", "units", "rows", "diagnostics"}
    assert data["policy"]
    assert set(data["period"]) == {"from", "to"}
    total = sum(1 for _ in open(DATA / name / "ledger.csv", encoding="utf-8-sig")) - 1
    assert data["rows"]["counted"] + data["rows"]["unmatched"] + data["rows"]["rejected"] == total
    assert data["rows"]["rejected"] == 0
    for unit in data["units"]:
        assert set(unit) == {"unit", "group", "results"}


def test_unscored_publications_come_back_unmatched_not_rejected(yima_plan):
    from govrule.runtime.run import evaluate_ledger

    results = evaluate_ledger(yima_plan, [DATA / "yima" / "ledger.csv"])
    unmatched_publications = {r.publication for r in results.unmatched if r.event == "采用"}
    assert "三门峡日报" in unmatched_publications
    assert not results.rejected


def test_fengqiu_period_defaults_to_2023_and_can_be_overridden(tmp_path):
    from conftest import write_ledger

    ledger = write_ledger(tmp_path / "l.csv", [
        {"日期": "2024-03-01", "单位": "城关镇", "事项": "约稿完成"}])
    default = run_cli("eval", str(POLICIES / "fengqiu.rule"), str(ledger), "--format", "json")
    assert default.returncode == 2                       # the 2024 row is outside 2023
    assert "不在考核期" in default.stderr
    moved = run_cli("eval", str(POLICIES / "fengqiu.rule"), str(ledger), "--format", "json", "--period", "2024")
    assert moved.returncode == 0, moved.stderr
    data = json.loads(moved.stdout)
    assert data["period"] == {"from": "2024-01-01", "to": "2024-12-31"}
    town = next(u for u in data["units"] if u["unit"] == "城关镇")
    # +10 for 约稿完成, −10 for no 调研 and no 负面 submission
    assert town["results"]["总分"] == 0
