"""Explanation traces: one unit's outputs as trees of the evaluation's own numbers.

A node is a quantity, a step (a cap, a gate, a rank, a selection) or a ledger row. `op` says
how a node's value follows from its operand children, so that a reader, or a test, can redo
the arithmetic. Children with role "evidence" are rows that made a rule apply; "context"
children (the group's ordering, adoptions that 取最高 dropped, the branch a gate did not
take) explain without adding up. The trace reads the finished evaluation, so a plain
`eval` pays nothing for it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from govrule.compiler import ir
from govrule.compiler.span import Span

from .evaluate import Contribution, Evaluation, Value
from .evaluate import number_text as _number
from .ledger import Row
from .periods import Span as PeriodSpan
from .periods import subdivide

UNSCORED = "未计分的行"
_CMP_TEXT = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠"}


@dataclass
class Node:
    label: str
    value: Value
    children: list["Node"] = field(default_factory=list)
    op: str | None = None          # how the operand children give the value; None for a leaf
    rule: Span | None = None       # the policy line
    row: Row | None = None         # the ledger row
    role: str | None = None        # None (an operand) | "evidence" | "context"
    extra: dict = field(default_factory=dict)

    def operands(self) -> list["Node"]:
        return [c for c in self.children if c.role is None]

    def cited_rows(self) -> list[Row]:
        """The rows this node's value rests on: outside context branches, evidence included."""
        if self.role == "context":
            return []
        found = [self.row] if self.row is not None else []
        for child in self.children:
            found += child.cited_rows()
        return found


def explain(evaluation: Evaluation, unit: str, outputs: list[str] | None = None,
            period: PeriodSpan | None = None, source: str | None = None) -> list[Node]:
    """The trace of `unit`: a node per output (per period for per-quarter outputs), then the
    unit's rows that scored nothing. `outputs` may name any quantity; `period` narrows the
    trace to a quarter or a month; `source` is the policy's text, for labels."""
    tracer = _Tracer(evaluation, unit, (source or "").splitlines())
    everything = [d.name for d in evaluation.plan.policy.outputs]
    nodes = []             # a quantity already shown is shown again by value only (见上)
    for name in outputs or everything:
        nodes += tracer.output(name, period, named=outputs is not None)
    whole = nodes
    if outputs is not None or period is not None:
        # which rows scored is decided by all outputs over the whole period, not by what is shown
        tracer.seen.clear()
        whole = [n for name in everything for n in tracer.output(name, None, named=True)]
    cited = {id(r) for node in whole for r in node.cited_rows()}
    nodes.append(tracer.unscored(period or evaluation.period, cited))
    return nodes


class _Tracer:
    def __init__(self, evaluation: Evaluation, unit: str, lines: list[str]) -> None:
        self.ev = evaluation
        self.plan = evaluation.plan
        self.unit = unit
        self.lines = lines
        self.seen: set[tuple] = set()

    # ------------------------------------------------------------ roots

    def output(self, name: str, period: PeriodSpan | None, named: bool) -> list[Node]:
        """An output over the whole period, or its values for the periods inside `period`.
        A whole-year output is left out of a quarter's trace unless it is asked for by name."""
        ev = self.ev
        definition = self.plan.definitions.get(name)
        grain = definition.grain if definition is not None else None
        if grain in ("quarter", "month"):
            window = period or ev.period
            return [self.quantity(name, self.unit, p) for p in subdivide(ev.period, grain)
                    if window.start <= p.start and p.end <= window.end]
        if period is not None and period != ev.period and not named:
            return []
        return [self.quantity(name, self.unit, ev.period)]

    def unscored(self, period: PeriodSpan, cited: set[int]) -> Node:
        """The unit's rows in the period that no output rests on, each with the reason. A row that
        an exception zeroed cites, as evidence, the rows of its item that made the exception apply."""
        ev = self.ev
        matches: dict[int, list[Contribution]] = defaultdict(list)
        for block in self.plan.blocks:
            for c in ev.matches_of.get((block, self.unit), ()):
                matches[id(c.row)].append(c)
        because: dict[int, list[Row]] = defaultdict(list)       # row -> the rows of its item it zeroed
        for found in matches.values():
            for c in found:
                for row in self.exception_evidence(c):
                    because[id(row)].append(c.row)
        children = []
        for row in ev.rows_by_unit.get(self.unit, ()):
            if period.start <= row.date <= period.end and id(row) not in cited:
                found = matches[id(row)]
                evidence = [Node(_row_text(r), None, row=r, role="evidence")
                            for c in found for r in self.exception_evidence(c)]
                if not found and because[id(row)]:
                    zeroed = "、".join(f"第{r.row}行" for r in because[id(row)])
                    reason = f"本行不计分，但它使{zeroed}按例外不计分"
                else:
                    reason = self.reason(row, found)
                children.append(Node(reason, Fraction(0), evidence, row=row))
        return Node(f"{UNSCORED}（{len(children)}行）", Fraction(len(children)), children, "rows")

    def exception_evidence(self, c: Contribution) -> list[Row]:
        """The other rows of the item that made an exception zero this match (被市级以上录用的不计分)."""
        if not c.zeroed:
            return []
        return [r for e in c.rule.exceptions if self.ev.matches_pattern(e, c.row)
                for r in self.ev.evidence(c.row, e) if r is not c.row]

    def reason(self, row: Row, matched: list[Contribution]) -> str:
        if not matched:
            if row.event not in self.plan.dispatch and not any(row.event in p.events or not p.events
                                                               for p in self.plan.count_patterns):
                return f"政策没有给「{row.event}」计分或计数的规则"
            return "没有适用的规则（刊物、级别、形式、类别或日期不符）"
        if all(c.zeroed for c in matched):
            return f"{matched[0].block}：按例外不计分（{self.rule_text(matched[0].rule)}）"
        dropped = [c for c in matched if not c.kept]
        if dropped:
            winner = next((c for c in self.ev.contributions(dropped[0].block, self.unit)
                           if c.kept and c.row.item == row.item and c.row is not row), None)
            if winner is not None:
                return (f"{dropped[0].block}：同一信息取最高，计了第{winner.row.row}行"
                        f"（{_number(winner.base)}分，本行{_number(dropped[0].base)}分）")
        return f"匹配了「{self.rule_text(matched[0].rule)}」，但所在的量没有计入任何结果（见上面的条件）"

    # ------------------------------------------------------------ quantities

    def quantity(self, name: str, unit: str, period: PeriodSpan) -> Node:
        ev = self.ev
        definition = self.plan.definitions.get(name)
        if definition is not None and definition.grain is not None:
            period = ev.span_of(period, definition.grain)
        label = name + (f"（{period.label}）" if period != ev.period else "")
        if unit != self.unit:
            label = f"{unit}·{label}"
        value = ev.quantity(name, unit, period)
        span = definition.span if definition is not None else self.plan.blocks[name].span
        key = (name, unit, period)
        if key in self.seen:
            return Node(label + "（见上）", value, rule=span)
        self.seen.add(key)
        if definition is None:
            return self.block(name, unit, period, label)
        inner = self.expr(definition.expr, unit, period)
        if inner.op is None or isinstance(definition.expr, ir.Quantity):
            return Node(label, value, [inner], "=", span)
        return Node(label, value, inner.children, inner.op, span,
                    extra={"formula": inner.label, **inner.extra})

    def block(self, name: str, unit: str, period: PeriodSpan, label: str) -> Node:
        ev = self.ev
        block = self.plan.blocks[name]
        contributions = ev.contributions(name, unit)
        children = []
        held: set[tuple] = set()
        for c in contributions:
            if not (period.start <= c.when <= period.end):
                continue
            if isinstance(c.rule, ir.Cap):
                children.append(self.adjustment(c))
            elif isinstance(c.rule, ir.Condition):
                held.add((id(c.rule), c.when))
                children.append(self.condition(c.rule, unit, c.when, c.points))
            elif c.kept and not c.zeroed:
                children.append(self.contribution(c, contributions))
        for condition in block.conditions:
            for p in subdivide(ev.period, condition.grain):
                if period.start <= p.end <= period.end and (id(condition), p.end) not in held:
                    children.append(self.condition(condition, unit, p.end, Fraction(0)))
        children.sort(key=_when)
        return Node(label, ev.quantity(name, unit, period), children, "sum", block.span)

    def contribution(self, c: Contribution, siblings: list[Contribution]) -> Node:
        clause: ir.Clause = c.rule
        row = c.row
        base = self.base(c)
        if c.multipliers:
            factor = Node(f"倍数 ×{_number(c.factor)}", c.factor,
                          [self.multiplier(m, row) for m in c.multipliers],
                          "stack_add" if self.plan.blocks[c.block].stacking == "add" else "stack_mul")
            node = Node(self.rule_text(clause), c.points, [base, factor], "*", clause.span, row)
        elif base.op is not None:
            node = Node(self.rule_text(clause), c.points, base.children, base.op, clause.span, row)
        else:
            node = Node(self.rule_text(clause), c.points, [], None, clause.span, row, extra=base.extra)
        node.children += self.evidence(row, clause.pattern)
        for other in siblings:
            if not other.kept and other.row.item and other.row.item == row.item:
                node.children.append(Node(f"未取：{self.rule_text(other.rule)}（{_number(other.base)}分）",
                                          other.base, rule=other.rule.span, row=other.row, role="context"))
        if any(not o.kept and o.row.item and o.row.item == row.item for o in siblings):
            node.extra["note"] = "同一信息取最高"
        return node

    def base(self, c: Contribution) -> Node:
        """The points before multipliers: the clause's points, a 分值, an escalation step, or a share."""
        clause: ir.Clause = c.rule
        times = self.ev.occurrences(c.row)
        if clause.share_of is not None:
            whole = self.expr(clause.share_of, c.row.unit, self.ev.period)
            return Node("基础分", c.base, [Node(f"{_number(clause.points * 100)}%", clause.points), whole,
                                           Node("数量", times)], "*")
        notes = []
        if clause.reviewed:
            notes.append(f"分值{_number(c.row.points) if c.row.points is not None else '空'}")
            if clause.row_cap is not None and c.row.points is not None and c.row.points > clause.row_cap:
                notes.append(f"超过最高{_number(clause.row_cap)}分，按{_number(clause.row_cap)}分计")
        elif clause.later_points is not None:
            notes.append(f"第一次{_number(clause.points)}分，第二次起每次{_number(clause.later_points)}分")
        elif times != 1:
            notes.append(f"{_number(clause.points)}分 × 数量{_number(times)}")
        if clause.row_cap is not None and not clause.reviewed and abs(clause.points * times) > clause.row_cap:
            notes.append(f"单条最高{_number(clause.row_cap)}分")
        return Node("基础分", c.base, extra={"note": "，".join(notes)} if notes else {})

    def multiplier(self, m: ir.Multiplier, row: Row) -> Node:
        return Node(self.rule_text(m), m.factor, self.evidence(row, m.pattern), rule=m.span)

    def evidence(self, row: Row, pattern: ir.RowPattern) -> list[Node]:
        return [Node(_row_text(other), None, row=other, role="evidence")
                for other in self.ev.evidence(row, pattern) if other is not row]

    def adjustment(self, c: Contribution) -> Node:
        cap: ir.Cap = c.rule
        before, after = c.base, c.base + c.points
        what = cap.text or f"上限{_number(cap.limit)}分"
        return Node(f"{what}：封顶前{_number(before)}分，封顶后{_number(after)}分", c.points, op="adjust",
                    rule=cap.span, extra={"before": before, "after": after})

    def condition(self, condition: ir.Condition, unit: str, when, points: Fraction) -> Node:
        ev = self.ev
        period = next(p for p in subdivide(ev.period, condition.grain) if p.end == when)
        label = self.source(condition.span) or "条件"
        if period != ev.period:
            label += f"（{period.label}）"
        test = self.expr(condition.expr, unit, period)
        return Node(label, points, [test], "per_gap" if condition.per_gap else "when", condition.span,
                    extra={"points": condition.points, "until": when})

    # ------------------------------------------------------------ expressions

    def expr(self, e: ir.Expr, unit: str, period: PeriodSpan) -> Node:
        ev = self.ev
        value = ev.value(e, unit, period)
        label = self.source(getattr(e, "span", None)) or _describe(e)
        if isinstance(e, ir.Quantity):
            return self.quantity(e.name, unit, period)
        if isinstance(e, ir.Num):
            return Node(_number(e.value), value)
        if isinstance(e, ir.Null):
            return Node("空", None)
        if isinstance(e, ir.Parameter):
            return self.parameter(e, unit, value)
        if isinstance(e, ir.UnitValue):
            table = next(t for t in self.plan.policy.unit_values if t.name == e.table)
            return Node(f"{e.table}（{unit}）", value, rule=table.span)
        if isinstance(e, ir.GroupAttribute):
            group = self.plan.unit_groups[unit]
            return Node(f"{label}（{group.name}）", value, rule=group.span)
        if isinstance(e, (ir.InGroup, ir.BundleSize)):
            return Node(label, value, rule=self.plan.unit_groups[unit].span)
        if isinstance(e, ir.IfElse):
            return self.if_else(e, unit, period, label, value)
        if isinstance(e, ir.PeriodTotal):
            return Node(label, value, [self.quantity(e.name, unit, p) for p in subdivide(period, e.grain)], "sum")
        if isinstance(e, ir.BundleTotal):
            return Node(label, value, [self.expr(e.operand, member, period) for member in self.plan.bundles[unit]], "sum")
        if isinstance(e, ir.Function):
            args = [self.expr(a, unit, period) for a in e.args]
            if e.name == "clamp":
                low, high = (_number(a.value) for a in args[1:])
                label = f"限定在{low}至{high}之间（限定前{_number(args[0].value)}，限定后{_number(value)}）"
            return Node(label, value, args, e.name)
        if isinstance(e, ir.RankPoints):
            return self.rank_points(e, unit, period, label, value)
        if isinstance(e, ir.Rank):
            return self.rank(e, unit, period, label, value)
        if isinstance(e, ir.Select):
            return self.select(e, unit, period, label, value)
        if isinstance(e, ir.Count):
            rows = [r for r in ev.rows_of(unit, e.pattern)
                    if period.start <= r.date <= period.end and ev.matches_pattern(e.pattern, r)]
            return Node(label, value, [Node(_row_text(r), ev.occurrences(r), self.evidence(r, e.pattern), row=r)
                                       for r in rows], "count")
        if isinstance(e, ir.ItemCount):
            return self.item_count(e, unit, period, label, value)
        if isinstance(e, ir.PeriodCount):
            parts = [_in(self.expr(e.condition, unit, p), p) for p in subdivide(period, e.grain)]
            return Node(label, value, parts, "all" if e.every else "count_true")
        if isinstance(e, ir.BinOp):
            if e.op in ("and", "or", "+"):
                parts = [self.expr(x, unit, period) for x in _flatten(e, e.op)]
                return Node(label, value, parts, "sum" if e.op == "+" else e.op)
            return Node(label, value, [self.expr(e.left, unit, period), self.expr(e.right, unit, period)], e.op)
        if isinstance(e, ir.Compare):
            if isinstance(e.left, ir.Null) or isinstance(e.right, ir.Null):
                other = e.left if isinstance(e.right, ir.Null) else e.right
                return Node(label, value, [self.expr(other, unit, period)], "is_null" if e.op == "==" else "not_null")
            return Node(label, value, [self.expr(e.left, unit, period), self.expr(e.right, unit, period)], e.op)
        if isinstance(e, ir.Not):
            return Node(label, value, [self.expr(e.operand, unit, period)], "not")
        if isinstance(e, ir.Negate):
            return Node(label, value, [self.expr(e.operand, unit, period)], "neg")
        raise AssertionError(e)  # pragma: no cover

    def parameter(self, e: ir.Parameter, unit: str, value: Value) -> Node:
        decl = next(p for p in self.plan.policy.parameters if p.name == e.name)
        group = self.plan.unit_groups[unit]
        if e.name in self.ev.parameters:
            where = "--param"
        elif group.attribute(e.name) is not None:
            where = f"{group.name}组的值"
        else:
            where = "默认值"
        return Node(f"{e.name}（{where}）", value, rule=group.span if where.endswith("组的值") else decl.span)

    def if_else(self, e: ir.IfElse, unit: str, period: PeriodSpan, label: str, value: Value) -> Node:
        """A gate: the condition, the branch taken, and what the other branch would have given."""
        condition = self.expr(e.condition, unit, period)
        if condition.value is None:
            return Node(label, value, [condition], "if")
        taken, other = (e.then, e.otherwise) if condition.value else (e.otherwise, e.then)
        skipped = self.ev.value(other, unit, period)
        context = Node(f"未取的分支：{self.source(getattr(other, 'span', None)) or _describe(other)}",
                       skipped, role="context")
        return Node(label, value, [condition, self.expr(taken, unit, period), context], "if")

    def rank_points(self, e: ir.RankPoints, unit: str, period: PeriodSpan, label: str, value: Value) -> Node:
        rank = self.expr(e.rank, unit, period)
        group = self.plan.unit_groups[unit].name
        row = self.plan.rank_tables[e.table].get(group)
        if rank.value is not None:
            label += f"：{group}第{_number(rank.value)}名得{_number(value) if value is not None else '空'}分"
        return Node(label, value, [rank], "lookup", row.span if row is not None else None,
                    extra={"table": e.table, "group": group})

    def rank(self, e: ir.Rank, unit: str, period: PeriodSpan, label: str, value: Value) -> Node:
        ev = self.ev
        scope = ev.scope(unit, e.within_group)
        children = [self.expr(e.key, unit, period)]
        pinned = set()
        if e.pinned is not None:
            children.append(self.expr(e.pinned, unit, period))
            pinned = {u for u in scope if ev.value(e.pinned, u, period)}
        keys = {u: ev.value(e.key, u, period) for u in scope}

        def order(u):
            key = keys[u]
            return (u not in pinned, key is None, -(key or 0) if e.descending else (key or 0))

        ordering = [Node(u, keys[u], role="context", extra={"self": u == unit, "pinned": u in pinned})
                    for u in sorted(scope, key=order)]
        children.append(Node("本组排序" if e.within_group else "全体排序", None, ordering, role="context",
                             extra={"ordering": True}))
        if value is not None:
            label += f"：第{_number(value)}名（共{len(scope)}个单位）"
        return Node(label, value, children, "rank")

    def select(self, e: ir.Select, unit: str, period: PeriodSpan, label: str, value: Value) -> Node:
        ev = self.ev
        done = ev.selection(e, unit, period)
        keys, eligible, chosen, quota = done.keys, done.eligible, done.chosen, done.quota
        children = [self.expr(e.key, unit, period)]
        if e.eligible is not None:
            children.append(self.expr(e.eligible, unit, period))
        children.append(Node(f"名额：{self.source(e.quota.span) or _describe(e.quota)}", quota, role="context"))
        ordered = sorted(keys, key=lambda u: (u not in eligible, keys[u] is None,
                                              -(keys[u] or 0) if e.descending else (keys[u] or 0)))
        children.append(Node("候选", None, [
            Node(u + ("" if u in eligible else "（不具备资格）"), keys[u], role="context",
                 extra={"self": u == unit, "selected": u in chosen, "eligible": u in eligible}) for u in ordered],
            role="context", extra={"ordering": True}))
        picked = [keys[u] for u in chosen if keys[u] is not None]
        cutoff = (min(picked) if e.descending else max(picked)) if picked else None
        label += (f"：名额{_number(quota)}，入选{len(chosen)}个"
                  + (f"，入选线{_number(cutoff)}" if cutoff is not None else "")
                  + f"，{'入选' if value else '未入选'}")
        return Node(label, value, children, "select")

    def item_count(self, e: ir.ItemCount, unit: str, period: PeriodSpan, label: str, value: Value) -> Node:
        items: dict[object, list[Row]] = defaultdict(list)
        for c in self.ev.matches_of.get((e.block, unit), ()):
            if not c.zeroed and period.start <= c.when <= period.end:
                items[c.row.item or id(c.row)].append(c.row)
        children = [Node(f"信息{rows[0].item or _row_text(rows[0])}", Fraction(1),
                         [Node(_row_text(r), None, row=r, role="evidence") for r in rows])
                    for rows in items.values()]
        return Node(label, value, children, "items")

    # ------------------------------------------------------------ text

    def source(self, span: Span | None) -> str | None:
        """The policy text a span covers, when it lies on one line."""
        if span is None or span.line != span.end_line or not 0 < span.line <= len(self.lines):
            return None
        text = self.lines[span.line - 1][span.column - 1:span.end_column - 1].strip()
        return text or None

    def rule_text(self, rule) -> str:
        return self.source(rule.span) or getattr(rule, "text", "") or "规则"


def _when(node: Node):
    """Rows by date, then conditions by period, then caps last."""
    if node.row is not None:
        return (0, node.row.date, node.row.row)
    return (1 if node.op != "adjust" else 2, node.extra.get("until", date.max), 0)


def _in(node: Node, period: PeriodSpan) -> Node:
    if not node.label.endswith(f"（{period.label}）"):
        node.label += f"（{period.label}）"
    return node


def _flatten(e: ir.Expr, op: str) -> list[ir.Expr]:
    if isinstance(e, ir.BinOp) and e.op == op:
        return _flatten(e.left, op) + _flatten(e.right, op)
    return [e]


def _describe(e: ir.Expr) -> str:
    """A label for an expression the source does not spell out on one line."""
    if isinstance(e, ir.Quantity):
        return e.name
    if isinstance(e, ir.Num):
        return _number(e.value)
    if isinstance(e, ir.BinOp):
        word = {"+": " + ", "-": " − ", "*": " × ", "/": " ÷ ", "and": " 且 ", "or": " 或 "}[e.op]
        return word.join(_describe(x) for x in _flatten(e, e.op)) if e.op in ("+", "and", "or") \
            else f"{_describe(e.left)}{word}{_describe(e.right)}"
    if isinstance(e, ir.Compare):
        return f"{_describe(e.left)} {_CMP_TEXT[e.op]} {_describe(e.right)}"
    if isinstance(e, ir.Not):
        return f"非 {_describe(e.operand)}"
    return type(e).__name__


def _row_text(row: Row) -> str:
    parts = [row.date.isoformat(), row.event]
    if row.publication:
        parts.append(f"《{row.publication}》")
    parts += [x for x in (row.level, row.form, row.category) if x]
    if row.item:
        parts.append(f"编号{row.item}")
    if row.count != 1:
        parts.append(f"数量{_number(row.count)}")
    return " ".join(parts)

