"""Every example in the table of named syntax mistakes (compiler/mistakes.py) is a test:
framed as a whole policy, it gives exactly its mistake's diagnostic, and the parser's failure
on it is recognised as that mistake."""
from __future__ import annotations

import re

import pytest

from conftest import compile_text

from govrule.compiler.diagnostics import CATALOGUE
from govrule.compiler.mistakes import MISTAKES, frame, recognise
from govrule.compiler.parse import failure

CASES = [(m, example) for m in MISTAKES for example in m.examples]


def _fixed_parts(template: str) -> list[str]:
    """The literal pieces of a reason or hint template, between its {fields}."""
    return [part for part in re.split(r"\{\w+\}", template) if part]


@pytest.mark.parametrize("mistake, example", CASES,
                         ids=[f"{m.name}-{i}" for m in MISTAKES for i in range(len(m.examples))])
def test_each_example_gives_its_named_diagnostic(mistake, example):
    text = frame(example)
    compiled = compile_text(text)
    [diagnostic] = compiled.diagnostics.items
    assert diagnostic.code == mistake.code
    for part in _fixed_parts(mistake.reason):
        assert part in diagnostic.message, (part, diagnostic.message)
    for part in _fixed_parts(mistake.hint or ""):
        assert part in (diagnostic.hint or ""), (part, diagnostic.hint)
    assert "{" not in diagnostic.message and "{" not in (diagnostic.hint or "")
    lines = text.split("\n")
    assert 1 <= diagnostic.span.column <= len(lines[diagnostic.span.line - 1]) + 1
    error = failure(text)
    if error is not None:                   # an unclosed 《 in a phrase is found after parsing
        found = recognise(error, lines, "test.rule")
        assert found is not None and found.mistake.name == mistake.name


def test_the_table_is_well_formed():
    names = [m.name for m in MISTAKES]
    assert len(names) == len(set(names))
    for mistake in MISTAKES:
        assert mistake.examples, mistake.name
        assert mistake.code in CATALOGUE and "{reason}" in CATALOGUE[mistake.code][1]
        assert not mistake.anywhere or mistake.line, mistake.name


def test_a_failure_no_example_resembles_keeps_the_parsers_description():
    compiled = compile_text(frame("【计分：报送分】\n报送信息，每条计1分\n【结果】\n积分：报送分 +"))
    [diagnostic] = compiled.diagnostics.items
    assert diagnostic.code == "GR002"
    assert "行末缺少" in diagnostic.message


def test_a_tie_option_stops_before_a_comment():
    """并列… runs to the next comma or bracket, but never into a comment: an unclosed call is
    shown where the option ends, not inside the comment after it."""
    text = frame("【计分：报送分】\n报送信息，每条计1分\n【结果】\n积分：报送分\n"
                 "先进：评选（积分，名额：1，并列的都入选  # 说明")
    [diagnostic] = compile_text(text).diagnostics.items
    line = text.split("\n")[diagnostic.span.line - 1]
    assert diagnostic.code == "GR002"
    assert "并列的都入选" in line[:diagnostic.span.column - 1] and "#" not in line[:diagnostic.span.column - 1]
    closed = compile_text(frame("【计分：报送分】\n报送信息，每条计1分\n【结果】\n积分：报送分\n"
                                "先进：评选（积分，名额：1，并列的都入选 ）  # 说明"))
    assert "GR306" not in [d.code for d in closed.diagnostics.items]


def test_a_full_stop_inside_a_line_is_not_called_a_trailing_one():
    compiled = compile_text(frame("【计分：报送分】\n报送信息，每条计1分。最高10分"))
    [diagnostic] = compiled.diagnostics.items
    assert diagnostic.code == "GR001" and "行末" not in diagnostic.message


def test_the_caret_of_a_glued_score_covers_the_glued_name():
    compiled = compile_text(frame("【计分：扣分】\n每月若 条数（报送）< 本组月任务扣2分"))
    [diagnostic] = compiled.diagnostics.items
    line = frame("【计分：扣分】\n每月若 条数（报送）< 本组月任务扣2分").split("\n")[diagnostic.span.line - 1]
    assert line[diagnostic.span.column - 1:diagnostic.span.end_column - 1] == "本组月任务扣2分"
    assert diagnostic.hint == "在「扣2分」前加逗号「，」"
