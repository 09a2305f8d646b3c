"""`govrule check` options: --select and --ignore by code or prefix, --strict, and what they do to the exit status."""
from __future__ import annotations

import json

from conftest import ROOT, run_cli

FENGQIU = "policies/fengqiu.rule"      # as written it has GR202 (三类 22 vs 23) and GR203 (weights 85%)


def shown_codes(*args: str) -> tuple[list[str], int]:
    done = run_cli("check", *args, "--format", "json")
    return [d["code"] for d in json.loads(done.stdout)["diagnostics"]], done.returncode


def test_ignore_and_select_by_code_and_prefix():
    assert shown_codes(FENGQIU) == (["GR202", "GR203"], 0)
    assert shown_codes(FENGQIU, "--ignore", "GR202") == (["GR203"], 0)
    assert shown_codes(FENGQIU, "--select", "gr2", "--ignore", "GR203") == (["GR202"], 0)
    assert shown_codes(FENGQIU, "--select", "GR203,GR202") == (["GR202", "GR203"], 0)
    assert shown_codes(FENGQIU, "--select", "GR3") == ([], 0)


def test_strict_counts_only_the_warnings_shown():
    assert run_cli("check", FENGQIU, "--strict").returncode == 1
    assert run_cli("check", FENGQIU, "--strict", "--ignore", "GR2").returncode == 0


def test_an_unknown_code_in_an_option_is_an_error_with_the_reason():
    done = run_cli("check", FENGQIU, "--ignore", "GR999")
    assert done.returncode == 1 and "没有代码「GR999」" in done.stderr


def test_an_ignored_error_still_fails_and_says_so():
    bad = next((ROOT / "tests/policies/bad").glob("GR101-*.rule"))
    done = run_cli("check", str(bad), "--ignore", "GR101")
    assert done.returncode == 1
    assert "错误 GR101" not in done.stdout and "0 个错误，0 个警告；另有 1 个错误未显示，政策仍无法打分" in done.stdout
