"""The worked examples: `govrule eval --format json` gives exactly the expected values."""
from __future__ import annotations

import json

import pytest

from conftest import DATA, POLICIES, broken_copy, expected, read_rows, run_cli
from conftest import SEED_POLICIES as CASES


def same(got, want) -> bool:
    if want is None or isinstance(want, bool):
        return got is want
    if isinstance(want, dict):
        return isinstance(got, dict) and set(got) == set(want) and all(same(got[k], want[k]) for k in want)
    if isinstance(want, int):
        return type(got) is int and got == want          # points are exact
    return isinstance(got, (int, float)) and not isinstance(got, bool) and abs(got - want) <= 1e-6


def mismatches_against_expected(policy, ledger, want):
    done = run_cli("eval", str(policy), str(ledger), "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    got = {to_simplified(u["unit"]): {to_simplified(k): v for k, v in u["results"].items()} for u in data["units"]}
    assert set(got) == set(want), "every declared unit is listed, and no other"
    return [(unit, key, got[unit].get(key), value) for unit, outs in want.items()
            for key, value in outs.items() if not same(got[unit].get(key), value)]


def to_simplified(text: str) -> str:
    from govrule.compiler.normalize import to_simplified as convert

    return convert(text)


@pytest.mark.parametrize("name", CASES)
def test_eval_json_matches_expected(name):
    assert mismatches_against_expected(POLICIES / CASES[name], DATA / name / "ledger.csv", expected(name)) == []


def test_a_cixi_ledger_in_traditional_characters_scores_the_same(tmp_path):
    import zhconv

    text = (DATA / "cixi" / "ledger.csv").read_text(encoding="utf-8-sig")
    traditional = zhconv.convert(text, "zh-hant")
    assert traditional != text and "觀海衛鎮" in traditional
    ledger = tmp_path / "traditional.csv"
    ledger.write_text(traditional, encoding="utf-8")
    assert mismatches_against_expected(POLICIES / "cixi.rule", ledger, expected("cixi")) == []


def test_cixi_policy_is_written_in_traditional_characters():
    text = (POLICIES / "cixi.rule").read_text(encoding="utf-8")
    assert "【計分：錄用分】" in text and "【單位組】" in text and "計分" in text


@pytest.mark.parametrize("name", ["jiande", "cixi", "shuozhou"])
def test_check_passes_the_new_policies(name):
    done = run_cli("check", str(POLICIES / CASES[name]), "--strict")
    assert done.returncode == 0, done.stdout
    assert "没有发现问题" in done.stdout


def test_check_reports_a_rank_table_shorter_than_its_group(tmp_path):
    path, broken = broken_copy(tmp_path, "jiande", "C类：第1至7名依次10至4分", "C类：第1至6名依次10至5分")
    done = run_cli("check", str(path), "--format", "json")
    assert done.returncode == 1
    found = [d for d in json.loads(done.stdout)["diagnostics"] if d["code"] == "GR204"]
    assert len(found) == 1 and "C类" in found[0]["message"] and found[0]["severity"] == "error"
    assert found[0]["line"] == next(i for i, line in enumerate(broken.splitlines(), 1) if line.startswith("C类：第1至6名"))


def test_jiande_reviewed_scores_over_the_cap_are_noticed():
    done = run_cli("eval", str(POLICIES / "jiande-2018.rule"), str(DATA / "jiande" / "ledger.csv"), "--format", "json")
    over = [line for line in done.stderr.splitlines() if "超过最高10分" in line]
    rows = [r for r in read_rows(DATA / "jiande" / "ledger.csv") if r["事项"] == "约稿" and r["分值"] and int(r["分值"]) > 10]
    assert over and len(over) == len(rows)
    assert all(":分值:" in line for line in over)


@pytest.mark.parametrize("name", ["jiande"])
def test_per_quarter_outputs_are_keyed_by_quarter(name):
    done = run_cli("eval", str(POLICIES / CASES[name]), str(DATA / name / "ledger.csv"), "--format", "json")
    unit = json.loads(done.stdout)["units"][0]["results"]
    for output in ("季度信息分", "季度完成", "季度考核分"):
        assert list(unit[output]) == ["2018Q1", "2018Q2", "2018Q3", "2018Q4"]
    assert isinstance(unit["年度考核分"], int)
    assert unit["年度考核分"] == sum(unit["季度考核分"].values())


@pytest.mark.parametrize("name", CASES)
def test_json_follows_the_output_contract(name):
    done = run_cli("eval", str(POLICIES / CASES[name]), str(DATA / name / "ledger.csv"), "--format", "json")
    data = json.loads(done.stdout)
    # the contract's keys, plus the row lists that back up its counts
    assert set(data) == {"policy", "period", "units", "rows", "diagnostics", "notices", "unmatched", "rejected"}
    assert len(data["unmatched"]) == data["rows"]["unmatched"] and len(data["rejected"]) == data["rows"]["rejected"]
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


@pytest.mark.parametrize("name", ["shuozhou", "cixi"])
def test_json_cites_each_unmatched_row_as_its_row_object_does(tmp_path, name):
    """The JSON's unmatched rows are read straight from the ledger's columns; they say what the
    Row objects say, file by file (the example cut into two files)."""
    from govrule.compiler.pipeline import compile_file
    from govrule.runtime.run import evaluate_ledger

    lines = (DATA / name / "ledger.csv").read_text(encoding="utf-8-sig").splitlines()
    half = len(lines) // 2
    first, second = tmp_path / "上半年.csv", tmp_path / "下半年.csv"
    first.write_text("\n".join(lines[:half]) + "\n", encoding="utf-8")
    second.write_text("\n".join([lines[0], *lines[half:]]) + "\n", encoding="utf-8")
    done = run_cli("eval", str(POLICIES / CASES[name]), str(first), str(second), "--format", "json")
    listed = [(r["file"], r["row"], r["unit"], r["event"]) for r in json.loads(done.stdout)["unmatched"]]
    results = evaluate_ledger(compile_file(POLICIES / CASES[name]).plan, [str(first), str(second)])
    assert listed == [(r.file, r.row, r.unit, r.event) for r in results.unmatched]
    assert {file for file, *_ in listed} == {str(first), str(second)} and len(listed) > 10
