"""Chinese numerals: the standard ones are read; a malformed one is a GR004, not a guess."""
from __future__ import annotations

import pytest

from conftest import codes, compile_text

from govrule.compiler.numerals import numeral_problem, parse_number

STANDARD = {"十": 10, "十五": 15, "二十": 20, "一百二十": 120, "两": 2, "两百": 200, "一百零五": 105,
            "一千零五十": 1050, "一千二百三十四": 1234, "一万零五": 10005, "一万五千": 15000, "零": 0,
            "一百一十": 110, "二十万": 200000, "3": 3, "2.5": 2.5, "１２": 12}
MALFORMED = ("一二", "一百零零", "一百五", "一千五", "十百", "百", "一百零", "两十", "十两", "零五",
             "一万五", "一百零五十", "二两")


@pytest.mark.parametrize("text", sorted(STANDARD))
def test_standard_numerals_are_accepted_and_read(text):
    assert numeral_problem(text) is None
    assert parse_number(text) == STANDARD[text]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_numerals_are_named(text):
    assert numeral_problem(text) == "不是规范的中文数字"


POLICY = """标题：测试政策
考核期：2020年
【事项】培训（数量为周数）
【单位组】
甲组{count}：甲局、乙局
【计分：报送分】
{clause}
【结果】
积分：报送分
"""


@pytest.mark.parametrize("clause, text", [
    ("报送信息，每条计一二分", "一二"),
    ("报送信息，每条计一百零零分", "一百零零"),
    ("报送信息，每条计1分，最高一百五分", "一百五"),
    ("报送信息，分值加一二倍", "一二"),
    ("培训满一二周，每次计1分", "一二"),
])
def test_a_malformed_numeral_in_a_policy_is_gr004(clause, text):
    compiled = compile_text(POLICY.format(count="", clause=clause))
    assert codes(compiled) == ["GR004"]
    [diagnostic] = compiled.diagnostics.items
    assert diagnostic.message.startswith(f"数字「{text}」")
    line = POLICY.format(count="", clause=clause).split("\n")[diagnostic.span.line - 1]
    assert line[diagnostic.span.column - 1:diagnostic.span.end_column - 1].startswith(text) or "满" in line


def test_a_count_of_units_must_be_whole():
    compiled = compile_text(POLICY.format(count="（共2.5个）", clause="报送信息，每条计1分"))
    assert codes(compiled) == ["GR004"]
    assert "不是整数" in compiled.diagnostics.items[0].message
    assert compile_text(POLICY.format(count="（共2个）", clause="报送信息，每条计1分")).ok


def test_malformed_rank_numbers_do_not_crash():
    text = POLICY.format(count="", clause="报送信息，每条计1分") + "【名次分：名次得分】\n甲组：第一二名10分，其余5分\n"
    assert codes(compile_text(text)) == ["GR004"]
