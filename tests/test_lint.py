"""Rules that resolve but cannot work as written: repeated or outranked clauses, caps that
never bind, date windows outside the period, outputs that depend on nothing."""
from __future__ import annotations

import pytest

from conftest import codes, compile_text, compiled_seed, SEED_POLICIES

HEAD = """标题：测试政策
考核期：{period}
【级别】
国家：国务院办公厅
省：河南省
市：三门峡市
【刊物】
政府工作快报：省
【标记】负面
【事项】培训（数量为周数）
【参数】
满分：100
【单位组】
甲组，目标10分：甲局、乙局
【计分：采用分】
{clauses}
同一信息被多个刊物采用的，累计计分
【结果】
积分：采用分
{outputs}"""


def lint_codes(clauses, outputs="", period="2020年"):
    compiled = compile_text(HEAD.format(clauses=clauses, outputs=outputs, period=period))
    assert compiled.ok, [d.message for d in compiled.diagnostics.items]
    return [c for c in codes(compiled) if c in ("GR309", "GR310", "GR311", "GR312", "GR402")]


@pytest.mark.parametrize("name", sorted(SEED_POLICIES))
def test_the_seeds_give_none_of_these(name):
    assert not {"GR309", "GR310", "GR311", "GR312", "GR402"} & set(codes(compiled_seed(name)))


def test_a_clause_written_twice_is_reported_on_the_second():
    compiled = compile_text(HEAD.format(clauses="被省级采用的，每条计5分\n被省级采用的信息，每条计6分\n"
                                                "同一行适用多条的，累计", outputs="", period="2020年"))
    [duplicate] = [d for d in compiled.diagnostics.items if d.code == "GR309"]
    assert duplicate.span.line == 17 and duplicate.related[0].line == 16
    assert "第16行" in duplicate.message


def test_a_clause_written_twice_is_one_finding_not_two():
    """Without a row-combination line, the repeated clause is GR309's alone; GR302 (clauses that
    may score the same row) still speaks for clauses that differ."""
    twice = compile_text(HEAD.format(clauses="被省级采用的，每条计5分\n被省级采用的，每条计6分", outputs="",
                                     period="2020年"))
    assert [c for c in codes(twice) if c in ("GR302", "GR309")] == ["GR309"]
    different = compile_text(HEAD.format(clauses="被省级采用的，每条计5分\n被省级以上采用的，每条计6分", outputs="",
                                         period="2020年"))
    assert "GR302" in codes(different) and "GR309" not in codes(different)


def test_an_outranked_clause_under_most_specific():
    clauses = "被省级以上采用的，每条计5分\n被国家级采用的，每条计10分\n同一行适用多条的，取最具体的一条"
    assert lint_codes(clauses) == ["GR310"]
    swapped = "被国家级采用的，每条计10分\n被省级以上采用的，每条计5分\n同一行适用多条的，取最具体的一条"
    assert lint_codes(swapped) == []


def test_a_clause_outranked_by_several_together():
    """省级以上 is 省级 and 国家级: written after a clause for each, it never scores."""
    clauses = ("被省级采用的，每条计5分\n被国家级采用的，每条计10分\n被省级以上采用的，每条计3分\n"
               "同一行适用多条的，取最具体的一条")
    compiled = compile_text(HEAD.format(clauses=clauses, outputs="", period="2020年"))
    [shadowed] = [d for d in compiled.diagnostics.items if d.code == "GR310"]
    assert shadowed.span.line == 18 and [r.line for r in shadowed.related] == [16, 17]
    assert "第16、17行" in shadowed.message
    one_missing = "被省级采用的，每条计5分\n被省级以上采用的，每条计3分\n同一行适用多条的，取最具体的一条"
    assert lint_codes(one_missing) == []          # its 国家级 rows still score under it
    with_exception = ("被省级采用的，每条计5分，负面的除外\n被国家级采用的，每条计10分\n被省级以上采用的，每条计3分\n"
                      "同一行适用多条的，取最具体的一条")
    assert lint_codes(with_exception) == []       # its negative 省级 rows still score under it


def test_a_clause_outranked_part_by_part_along_two_fields():
    """省级以上的调研和动态: its 省级 rows go to one clause per category, its 国家级 rows to one clause."""
    clauses = ("被省级采用的调研信息，每条计5分\n被省级采用的动态信息，每条计4分\n被国家级采用的调研、动态信息，每条计10分\n"
               "被省级以上采用的调研、动态信息，每条计3分\n同一行适用多条的，取最具体的一条")
    head = HEAD.replace("【标记】负面", "【标记】负面\n【类别】调研、动态")
    compiled = compile_text(head.format(clauses=clauses, outputs="", period="2020年"))
    [shadowed] = [d for d in compiled.diagnostics.items if d.code == "GR310"]
    assert shadowed.span.line == 20 and [r.line for r in shadowed.related] == [17, 18, 19]
    without_one = compile_text(head.format(clauses=clauses.replace("被省级采用的动态信息，每条计4分\n", ""),
                                           outputs="", period="2020年"))
    assert without_one.ok and "GR310" not in codes(without_one)     # its 省级 动态 rows still score under it


def test_a_more_specific_later_clause_is_not_outranked():
    clauses = ("被省级采用的，每条计5分\n被省《政府工作快报》采用的，每条计10分\n"
               "被省级采用的负面信息，每条计1分\n同一行适用多条的，取最具体的一条")
    assert lint_codes(clauses) == []


def test_an_exception_keeps_a_general_clause_from_outranking():
    clauses = "被省级以上采用的，每条计5分，负面的除外\n被国家级采用的，每条计10分\n同一行适用多条的，取最具体的一条"
    assert lint_codes(clauses) == []


@pytest.mark.parametrize("clauses, expected", [
    ("被省级采用的，每条计5分，扣分上限20分", ["GR311"]),
    ("被省级采用的，每条扣5分，加分上限20分", ["GR311"]),
    ("被省级采用的，不计分，上限20分", ["GR311"]),
    ("被省级采用的，每条计5分\n本项扣分上限20分", ["GR311"]),
    ("培训满3周，每次计2分，最高5分", ["GR311"]),
    ("被省级采用的，每条计5分，加分上限20分", []),
    ("被省级采用的，每条扣5分，扣分上限20分", []),
    ("被省级采用的，每条计5分，上限20分", []),
    ("被省级采用的，每条计5分\n被市级采用的，每条扣1分\n本项扣分上限20分", []),
    ("被省级采用的，每条计5分，最高3分", []),        # a counted row of 数量 2 scores 10: the cap binds
    ("培训满3周，每次计6分，最高5分", []),
])
def test_caps_that_cannot_bind(clauses, expected):
    assert lint_codes(clauses) == expected


def test_a_cap_with_nothing_to_cap():
    text = HEAD.format(clauses="被省级采用的，每条计5分", outputs="", period="2020年")
    text = text.replace("【结果】", "【计分：空项】\n本项扣分上限10分\n【结果】").replace("积分：采用分", "积分：采用分 + 空项")
    compiled = compile_text(text)
    [cap] = [d for d in compiled.diagnostics.items if d.code == "GR311"]
    assert "没有条款" in cap.message


@pytest.mark.parametrize("clause, period, expected", [
    ("2021年1月1日起被省级采用的，每条计5分", "2020年", ["GR312"]),
    ("2019年12月31日前被省级采用的，每条计5分", "2020年", ["GR312"]),
    ("2020年7月1日起、2020年6月30日止被省级采用的，每条计5分", "2020年", ["GR312"]),
    ("2020年7月1日起被省级采用的，每条计5分", "2020年", []),
    ("2019年7月1日起被省级采用的，每条计5分", "2020年", []),
    ("2021年1月1日起被省级采用的，每条计5分", "自然年（默认2020年）", []),   # --period may move the year
])
def test_date_windows_outside_the_period(clause, period, expected):
    assert lint_codes(clause, period=period) == expected


def test_a_date_window_in_a_count():
    outputs = "篇数：条数（2021年1月1日起报送）\n"
    assert lint_codes("被省级采用的，每条计5分", outputs) == ["GR312"]


@pytest.mark.parametrize("output, expected", [
    ("总分：100", ["GR402"]),
    ("总分：满分 × 2", ["GR402"]),
    ("总分：若 满分 > 50 则 1 否则 0", ["GR402"]),
    ("总分：本组目标", []),
    ("总分：积分 ÷ 满分", []),
    ("总分：条数（报送）", []),
    ("中间：满分\n总分：中间 + 积分", ["GR402"]),      # 中间 is an output too, and constant
])
def test_outputs_that_depend_on_nothing(output, expected):
    assert lint_codes("被省级采用的，每条计5分", output + "\n") == expected


def test_no_lint_on_a_policy_with_errors():
    # a function call with a wrong argument count resolves to 空; that is not the drafter's constant
    compiled = compile_text(HEAD.format(clauses="被省级采用的，每条计5分", outputs="总分：最大（积分）\n", period="2020年"))
    assert "GR108" in codes(compiled) and "GR402" not in codes(compiled)


def test_a_declared_event_or_publication_that_no_rule_can_score_is_reported():
    from conftest import compile_text

    text = ("考核期：2020年\n【刊物】\n政府工作快报：省\n今日义马：县\n【事项】缺席、从未用到\n【单位组】\n甲组：财政局\n"
            "【计分：分】\n被省政府工作快报采用的，每条计10分\n同一信息被多个刊物采用的，累计计分\n缺席，每次扣1分\n【结果】\n分数：分\n")
    found = [(d.code, d.span.line, d.message) for d in compile_text(text).diagnostics.sorted()]
    assert found == [("GR213", 4, "声明了刊物「今日义马」，但没有一条规则用到它"),
                     ("GR213", 5, "声明了事项「从未用到」，但没有一条规则用到它")]
    # a rule by level alone can score the county publication: then it is used
    by_level = text.replace("缺席，每次扣1分", "缺席，每次扣1分\n被县级刊物采用的，每条计1分")
    assert [d.message for d in compile_text(by_level).diagnostics.sorted()] == [
        "声明了事项「从未用到」，但没有一条规则用到它"]
