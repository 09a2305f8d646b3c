"""Each compiler pass on its own: parse, build, segment, resolve, graph, lower."""
from __future__ import annotations

from fractions import Fraction

from govrule.compiler import ir
from govrule.compiler.build import build
from govrule.compiler.diagnostics import Diagnostics
from govrule.compiler.graph import dependency_graph
from govrule.compiler.lower import lower
from govrule.compiler.parse import parse
from govrule.compiler.resolve import resolve
from govrule.compiler.segment import default_vocabulary, segment
from govrule.compiler.span import Span

TEXT = """标题：测试
考核期：自然年（默认2021年）
二级机构报送的信息计入本单位
【级别】
省：河南省
【刊物】
政府工作快报（又称 工作快报）：省
【形式】专期
【标记】负面
【事项】蹲岗（数量为周数）
【单位组】
甲组（2个），目标10分，月报送任务3条：财政（地税）局、乙局
【计分：信息分】
被省工作快报采用 计4分
同一信息重复采用的，只计一次最高分
负面信息，分值加一倍
蹲岗，每次加3分
【中间量】
报送数：条数（报送）
【结果】
积分：信息分 + 报送数
达标月数：月数（条数（报送）≥ 本组月报送任务）
"""


def passes():
    diagnostics = Diagnostics()
    tree = parse(TEXT, "t.rule", diagnostics)
    decls = build(tree, diagnostics)
    policy = resolve(tree, decls, diagnostics)
    graph = dependency_graph(policy, diagnostics)
    return diagnostics, tree, decls, policy, graph


def test_parse_keeps_spans_and_reads_numbers():
    diagnostics = Diagnostics()
    tree = parse(TEXT, "t.rule", diagnostics)
    assert not diagnostics.items
    [group] = tree.groups
    assert group.claimed_count == 2
    assert [(t.value, v) for t, v in group.attributes] == [("目标", 10), ("月报送任务", 3)]
    assert group.members[0].value == "财政（地税）局"
    assert group.members[0].span.line == 12
    [block] = tree.blocks
    assert block.lines[0].points.value == 4 and block.lines[0].span.line == 14
    assert tree.period.named is False and tree.period.year == 2021


def test_parse_reports_instead_of_raising():
    diagnostics = Diagnostics()
    assert parse("【结果】\n甲：（1 +\n", "t.rule", diagnostics) is None
    [diagnostic] = diagnostics.items
    assert diagnostic.span.line == 2 and diagnostic.code in ("GR001", "GR002")


def test_build_declarations():
    diagnostics, _, decls, _, _ = passes()
    assert decls.period == ir.Period("2021-01-01", "2021-12-31", False)
    assert decls.subunits_count_for_parent
    assert [u.name for u in decls.units] == ["财政局", "乙局"]
    assert decls.units[0].aliases == ("地税局", "财政(地税)局")
    assert {e.name: e.counts for e in decls.events}["蹲岗"] is False
    assert decls.publications[0].aliases == ("工作快报",)


def test_segment_uses_declared_aliases():
    _, _, decls, _, _ = passes()
    pattern = segment("被河南省工作快报专期采用", Span("t", 1, 1, 1, 12), decls.vocabulary, Diagnostics())
    assert pattern == ir.RowPattern(events=frozenset({"采用"}), levels=frozenset({"省"}),
                                    publications=frozenset({"政府工作快报"}), forms=frozenset({"专期"}))


def test_segment_without_declarations_reports_every_unknown_run():
    diagnostics = Diagnostics()
    assert segment("被省某某快报采用", Span("t", 3, 5, 3, 13), default_vocabulary(), diagnostics) is None
    [diagnostic] = diagnostics.items
    assert diagnostic.code == "GR101" and diagnostic.span.line == 3
    assert diagnostic.span.column == 5 + len("被省")


def test_resolve_turns_other_events_in_multipliers_into_item_conditions():
    _, _, _, policy, _ = passes()
    [block] = policy.blocks
    assert block.item_mode == "max"
    assert block.multipliers[0].pattern.tags == {"负面"}
    assert [c.points for c in block.clauses] == [4, 3]
    outputs = {d.name: d.expr for d in policy.outputs}
    assert isinstance(outputs["达标月数"], ir.PeriodCount)
    assert outputs["达标月数"].condition.right == ir.GroupAttribute("月报送任务")


def test_graph_edges_run_from_what_is_used_to_what_uses_it():
    _, _, _, _, graph = passes()
    assert set(graph.predecessors("积分")) == {"信息分", "报送数"}
    assert graph.nodes["信息分"]["kind"] == "block"


def test_lower_orders_dependencies_first_and_dispatches_by_event():
    diagnostics, _, _, policy, graph = passes()
    plan = lower(policy, graph)
    assert plan.order.index("信息分") < plan.order.index("积分")
    assert plan.order.index("报送数") < plan.order.index("积分")
    assert set(plan.dispatch) == {"采用", "蹲岗"}
    assert plan.units["地税局"] == "财政局"
    assert plan.publications["工作快报"] == "政府工作快报"
    assert plan.unit_groups["乙局"].attribute("目标") == Fraction(10)
