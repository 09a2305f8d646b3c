"""Golden tests: `govrule check` on tests/policies/{bad,good}/*.rule, and the catalogue in docs/diagnostics.md.

Each bad policy is named `<CODE>-<short-name>.rule` and triggers that code; the rendered text output is
stored beside it as `<same stem>.expected`. After an intended change of wording, regenerate them with
`python tests/policies/regen.py` and review the diff.
"""
from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT, codes, compile_text, run_cli

from govrule.compiler.diagnostics import CATALOGUE, ERROR

POLICIES = ROOT / "tests" / "policies"
BAD = sorted((POLICIES / "bad").glob("*.rule"))
GOOD = sorted((POLICIES / "good").glob("*.rule"))
DOC = ROOT / "docs" / "diagnostics.md"


def _relative(path) -> str:
    return path.relative_to(ROOT).as_posix()


def _reported(stdout: str, relative: str) -> list[str]:
    """The codes of the findings in rendered text output (the `file:line:column: 级别 CODE …` lines)."""
    head = re.compile(re.escape(relative) + r":\d+:\d+: \S+ (GR\d{3}) ")
    return [m.group(1) for m in map(head.match, stdout.splitlines()) if m]


def test_there_are_golden_policies():
    assert BAD and 3 <= len(GOOD) <= 5


@pytest.mark.parametrize("policy", BAD, ids=lambda p: p.stem)
def test_bad_policy_output_matches_its_golden_file(policy):
    relative = _relative(policy)
    expected = policy.with_suffix(".expected")
    assert expected.exists(), f"{relative} has no .expected file: run python tests/policies/regen.py"
    done = run_cli("check", relative)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    assert done.stdout == expected.read_text(encoding="utf-8")
    code = policy.stem.split("-")[0]
    reported = _reported(done.stdout, relative)
    assert code in reported, f"{relative} should report {code}, reported {reported}"
    has_error = any(CATALOGUE[c][0] == ERROR for c in reported)
    assert done.returncode == (1 if has_error else 0)


@pytest.mark.parametrize("policy", GOOD, ids=lambda p: p.stem)
def test_good_policy_checks_clean_even_when_strict(policy):
    relative = _relative(policy)
    done = run_cli("check", relative, "--strict")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == f"{relative}：没有发现问题\n"
    data = json.loads(run_cli("check", relative, "--format", "json", "--strict").stdout)
    assert data["diagnostics"] == []


def _doc_sections() -> dict[str, str]:
    """docs/diagnostics.md, split at its `## GRxxx …` headings: code -> section text."""
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^## (GR\d{3})\b.*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def test_every_code_is_documented_and_has_a_bad_golden_policy():
    sections = _doc_sections() if DOC.exists() else {}
    goldens = {p.stem.split("-")[0] for p in BAD}
    undocumented = [c for c in CATALOGUE if c not in sections]
    untested = [c for c in CATALOGUE if c not in goldens]
    assert not undocumented and not untested, \
        f"not in docs/diagnostics.md: {undocumented}; no tests/policies/bad/<CODE>-*.rule: {untested}"
    assert not set(sections) - set(CATALOGUE), "docs/diagnostics.md documents codes that do not exist"


def _examples(section: str, label: str) -> list[str]:
    """The ```text blocks that follow a line starting with **label**."""
    pattern = r"^\*\*" + label + r"[^\n]*\n+```text\n(.*?)```"
    return re.findall(pattern, section, flags=re.MULTILINE | re.DOTALL)


# GR003 (an unreadable file) cannot be shown as policy text; its golden file in tests/policies/bad covers it.
NOT_TEXT = ("GR003",)


@pytest.mark.parametrize("code", [c for c in CATALOGUE if c not in NOT_TEXT])
def test_the_examples_in_docs_diagnostics_do_what_they_say(code):
    section = _doc_sections().get(code)
    if section is None:
        pytest.fail(f"{code} is not documented in docs/diagnostics.md")
    bad, fixed = _examples(section, "错误例"), _examples(section, "改正后")
    assert bad and fixed, f"{code}: the section needs a **错误例** and an **改正后** example"
    for text in bad:
        assert code in codes(compile_text(text)), text
    for text in fixed:
        assert codes(compile_text(text)) == [], text


# An example policy, then the output of checking it saved as 政策.rule (tests/policies/regen.py rewrites these).
DOC_EXAMPLE = re.compile(r"^\*\*错误例[^\n]*\n+```text\n(?P<policy>.*?)```\n+"
                         r"`govrule check 政策\.rule` 的输出：\n+```text\n(?P<output>.*?)```",
                         re.MULTILINE | re.DOTALL)


def test_the_outputs_shown_in_docs_diagnostics_are_what_check_prints(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from govrule.cli.main import main

    examples = DOC_EXAMPLE.findall(DOC.read_text(encoding="utf-8"))
    assert len(examples) >= len(CATALOGUE) - len(NOT_TEXT)
    monkeypatch.chdir(tmp_path)
    stale = []
    for policy, shown in examples:
        (tmp_path / "政策.rule").write_text(policy, encoding="utf-8")
        printed = CliRunner().invoke(main, ["check", "政策.rule"]).output
        if printed != shown:
            stale.append(policy.splitlines()[-1])
    assert not stale, f"run python tests/policies/regen.py; stale examples end with: {stale}"
