"""`govrule check` on damaged seed policies: it finishes with status 0 or 1, never a traceback,
and every finding it reports points at a line and a column inside the file.

The damage is what a drafter's editing does: characters or whole lines deleted, duplicated
or swapped, a few times over.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import POLICIES, SEED_POLICIES

from govrule.cli.main import main

SEEDS = {name: (POLICIES / file).read_text(encoding="utf-8") for name, file in SEED_POLICIES.items()}
KINDS = ("delete", "duplicate", "swap")


def mutate(text: str, edits) -> str:
    """Apply (unit, kind, i, j) edits in turn; unit is "char" or "line", i and j pick positions."""
    for unit, kind, i, j in edits:
        parts = list(text) if unit == "char" else text.split("\n")
        if not parts:
            continue
        i, j = i % len(parts), j % len(parts)
        if kind == "delete":
            del parts[i]
        elif kind == "duplicate":
            parts.insert(i, parts[i])
        else:
            parts[i], parts[j] = parts[j], parts[i]
        text = "".join(parts) if unit == "char" else "\n".join(parts)
    return text


EDITS = st.lists(st.tuples(st.sampled_from(("char", "line")), st.sampled_from(KINDS),
                           st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=4)


def check(text: str, *options: str):
    """Run `govrule check` in-process on text written to a temporary file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "政策.rule"
        path.write_text(text, encoding="utf-8")
        return CliRunner().invoke(main, ["check", str(path), *options])


def assert_finishes_cleanly(result) -> None:
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def assert_inside(text: str, findings: list[dict]) -> None:
    lines = text.split("\n")
    if lines[-1] == "":            # a final newline ends the last line; it does not start another
        lines.pop()
    for finding in findings:
        line, column = finding["line"], finding["column"]
        assert 1 <= line <= max(len(lines), 1), (finding, len(lines))
        width = len(lines[line - 1]) if lines else 0
        assert 1 <= column <= width + 1, (finding, lines[line - 1] if lines else "")


def test_the_seeds_themselves_check_without_errors():
    for name, text in SEEDS.items():
        result = check(text)
        assert result.exit_code == 0, (name, result.output)


def test_a_finding_outside_the_file_would_be_caught():
    with pytest.raises(AssertionError):
        assert_inside("甲\n", [{"line": 2, "column": 1}])
    with pytest.raises(AssertionError):
        assert_inside("甲\n", [{"line": 1, "column": 3}])
    assert_inside("甲\n", [{"line": 1, "column": 2}])


def test_mutate_does_what_it_says():
    assert mutate("ab\ncd", [("char", "delete", 0, 0)]) == "b\ncd"
    assert mutate("ab\ncd", [("line", "duplicate", 1, 0)]) == "ab\ncd\ncd"
    assert mutate("ab\ncd", [("line", "swap", 0, 1)]) == "cd\nab"
    assert mutate("ab", [("char", "swap", 0, 1)]) == "ba"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(sorted(SEEDS)), edits=EDITS)
def test_check_survives_any_edit_of_a_seed(seed, edits):
    text = mutate(SEEDS[seed], edits)
    result = check(text, "--format", "json")
    assert_finishes_cleanly(result)
    findings = json.loads(result.output)["diagnostics"]
    assert_inside(text, findings)
    has_error = any(f["severity"] == "error" for f in findings)
    assert result.exit_code == (1 if has_error else 0)
    shown = check(text)                 # the text rendering (source line, caret) must not fail either
    assert_finishes_cleanly(shown)
    assert shown.exit_code == result.exit_code
