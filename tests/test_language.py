"""The language reads like the document: phrasing, scripts, punctuation and numerals."""
from __future__ import annotations


import pytest

from conftest import POLICIES, codes, compile_text

HEAD = """标题：测试政策
考核期：2020年1月1日至2020年12月31日
【级别】
省：河南省
【刊物】
政府工作快报：省
政府快报：县、市
【形式】专期、条目
【单位组】
甲组（2个），目标10分：甲局、乙局
【计分：信息分】
{clauses}
【结果】
积分：信息分
"""


def first_clause(clause: str):
    compiled = compile_text(HEAD.format(clauses=clause))
    assert compiled.ok, [d.message for d in compiled.diagnostics.items]
    return compiled.policy.blocks[0].clauses[0]


def test_card_clause_and_document_style_give_equal_ir():
    card = first_clause("被省政府工作快报专期采用 计20分")
    document = first_clause("被省《政府工作快报》以专期形式采用的，每条计20分")
    assert card == document
    assert card.points == 20
    assert card.pattern.events == {"采用"}
    assert card.pattern.levels == {"省"}
    assert card.pattern.publications == {"政府工作快报"}
    assert card.pattern.forms == {"专期"}


@pytest.mark.parametrize("clause", [
    "被省政府工作快报专期采用 计二十分",
    "被省政府工作快报专期采用，每条计20分",
    "被省政府工作快报专期采用,每条计20分",
    "被省《政府工作快报》以专期形式采用的，每條計二十分",
    "被省政府工作快报专期采用计20分",
])
def test_numerals_punctuation_and_traditional_keywords(clause):
    assert first_clause(clause) == first_clause("被省政府工作快报专期采用 计20分")


def test_deductions_are_negative_and_multipliers_read_as_factors():
    compiled = compile_text(HEAD.format(clauses="被省政府工作快报采用 扣5分\n"
                                        "被省政府工作快报专期采用 一次扣五分\n"
                                        "同一行适用多条的，取最具体的一条\n"
                                        "同一信息重复采用的，只计一次最高分\n"
                                        "专期，分值加一倍\n"))
    assert compiled.ok
    block = compiled.policy.blocks[0]
    assert [c.points for c in block.clauses] == [-5, -5]
    assert [m.factor for m in block.multipliers] == [2]


def test_level_ranges_expand_upwards():
    compiled = compile_text(HEAD.format(clauses="被县级以上领导批示的，每条加1分"))
    assert compiled.policy.blocks[0].clauses[0].pattern.levels == {"国家", "省", "市", "县"}
    compiled = compile_text(HEAD.format(clauses="被市级及以上领导批示的，每条加1分"))
    assert compiled.policy.blocks[0].clauses[0].pattern.levels == {"国家", "省", "市"}


def test_a_policy_in_traditional_characters_gives_the_same_ir_as_in_simplified():
    import zhconv

    simplified = (POLICIES / "yima-2020.rule").read_text(encoding="utf-8")
    traditional = zhconv.convert(simplified, "zh-hant")
    assert traditional != simplified
    a, b = compile_text(simplified, "a.rule"), compile_text(traditional, "b.rule")
    assert a.ok and b.ok, [d.message for d in b.diagnostics.items]
    assert a.policy == b.policy


def test_both_seed_policies_check_without_errors():
    from govrule.compiler.pipeline import compile_file

    for name in ("yima-2020.rule", "fengqiu.rule"):
        compiled = compile_file(POLICIES / name)
        assert compiled.ok, [str(d.span) + d.message for d in compiled.diagnostics.items]


def test_fengqiu_reports_what_the_seed_itself_gets_wrong():
    from govrule.compiler.pipeline import compile_file

    compiled = compile_file(POLICIES / "fengqiu.rule")
    found = {d.code: d for d in compiled.diagnostics.items}
    assert sorted(found) == ["GR202", "GR203"]
    assert "22" in found["GR202"].message and "23" in found["GR202"].message
    assert "85%" in found["GR203"].message
    assert compiled.diagnostics.has_errors is False


def test_unit_names_drop_their_parenthesised_part_into_an_alias():
    from govrule.compiler.build import split_unit_name

    assert split_unit_name("财政（地税）局") == ("财政局", ("地税局",))
    assert split_unit_name("商务局(招商服务局)") == ("商务局", ("招商服务局",))
    assert split_unit_name("开发区（航空小镇）") == ("开发区", ("航空小镇",))
    assert split_unit_name("公安局") == ("公安局", ())


def test_chinese_numerals():
    from govrule.compiler.numerals import parse_number

    assert [parse_number(t) for t in ("二十", "一百二十", "十五", "两", "3", "2.5")] == [20, 120, 15, 2, 3, 2.5]
    with pytest.raises(ValueError):
        parse_number("abc")


def test_undeclared_stacking_is_a_warning_and_declared_stacking_is_silent():
    base = ("被省政府工作快报采用 计5分\n同一信息重复采用的，只计一次最高分\n"
            "专期，分值加一倍\n被省领导批示的，分值加一倍\n")
    assert "GR301" in codes(compile_text(HEAD.format(clauses=base)))
    assert "GR301" not in codes(compile_text(HEAD.format(clauses=base + "加倍叠加方式：相加\n")))


def test_overlapping_clauses_without_a_row_rule_warn():
    clauses = "被省政府工作快报采用 计5分\n被省政府工作快报专期采用 计9分\n同一信息：累计\n"
    assert "GR302" in codes(compile_text(HEAD.format(clauses=clauses)))
    assert "GR302" not in codes(compile_text(HEAD.format(clauses=clauses + "同一行适用多条的，取最具体的一条\n")))
