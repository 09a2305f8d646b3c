"""Evaluate a plan over ledger rows: every unit's outputs, exactly, with fractions.

Rows are dispatched to clauses by event; each block combines its matches per row and per
item, applies multipliers, and adds its condition clauses. Quantities are computed per
(unit, period) on demand and remembered, in the order the compiler's graph allows.
Every contribution keeps its row and its rule, so that a result can be explained.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from govrule.compiler import ir
from govrule.compiler.lower import Plan

from .ledger import Row
from .periods import Span as PeriodSpan
from .periods import subdivide

Value = Fraction | bool | None
ONE = Fraction(1)


@dataclass(slots=True)
class Contribution:
    """Points that one rule gave, from one row (or from a condition over a period)."""
    block: str
    points: Fraction          # after multipliers
    base: Fraction            # before multipliers
    factor: Fraction
    when: date                # the date that decides which period it lands in
    row: Row | None
    rule: object              # ir.Clause or ir.Condition
    multipliers: tuple = ()
    zeroed: bool = False      # matched, but an exception makes it score nothing
    kept: bool = True         # False when item combination dropped it (取最高)


@dataclass(frozen=True, slots=True)
class Selection:
    """One 评选 over a group: the quota, every unit's key, who was eligible, who was chosen."""
    quota: Fraction
    keys: dict
    eligible: frozenset
    chosen: frozenset


class Evaluation:
    """The results of one plan over one ledger."""

    def __init__(self, plan: Plan, rows: list[Row], period: PeriodSpan,
                 parameters: dict[str, Fraction] | None = None) -> None:
        self.plan = plan
        self.parameters = parameters or {}      # --param overrides
        self.policy = plan.policy
        self.period = period
        self.rows = rows
        self.rows_by_unit: dict[str, list[Row]] = defaultdict(list)
        self.rows_by_item: dict[str, list[Row]] = defaultdict(list)
        self.rows_by_event: dict[tuple[str, str], list[Row]] = defaultdict(list)   # (unit, event) -> rows
        for row in rows:
            self.rows_by_unit[row.unit].append(row)
            self.rows_by_event[row.unit, row.event].append(row)
            if row.item:
                self.rows_by_item[row.item].append(row)
        self.notices: list[str] = []            # rows scored, but not as written (分值 over its cap)
        self.matches: dict[str, list[Contribution]] = {b.name: [] for b in self.policy.blocks}
        self.matches_of: dict[tuple[str, str], list[Contribution]] = defaultdict(list)   # (block, unit)
        self._contributions: dict[tuple[str, str], list[Contribution]] = {}
        self._cache: dict[tuple, Value] = {}
        self._match_rows()

    # ------------------------------------------------------------ rows -> block matches

    def _match_rows(self) -> None:
        """Each row to the clauses of its event. Which clauses match depends only on the row's
        names, unless a clause looks at dates, amounts, lengths or the rest of the item; so the
        choice is remembered per distinct set of names and made once."""
        remembered: dict[tuple, list[tuple[ir.Block, ir.Clause, bool]]] = {}
        for row in self.rows:
            candidates = self.plan.dispatch.get(row.event)
            if not candidates:
                continue
            if row.event in self.plan.static_events:
                key = (row.unit, row.event, row.level, row.publication, row.form, row.category, row.tags)
                chosen = remembered.get(key)
                if chosen is None:
                    chosen = remembered[key] = self._choose(candidates, row)
            else:
                chosen = self._choose(candidates, row)
            for block, clause, zeroed in chosen:
                base = Fraction(0) if zeroed else self._row_base(clause, row)
                match = Contribution(block.name, base, base, ONE, row.date, row, clause, (), zeroed)
                self.matches[block.name].append(match)
                self.matches_of[block.name, row.unit].append(match)

    def _choose(self, candidates, row: Row) -> list[tuple[ir.Block, ir.Clause, bool]]:
        """The clauses that score a row, one per block under 取最具体, and whether an exception zeroes each."""
        blocks = self.policy.blocks
        by_block: dict[int, list[ir.Clause]] = defaultdict(list)
        for b, c in candidates:
            clause = blocks[b].clauses[c]
            if self.matches_pattern(clause.pattern, row):
                by_block[b].append(clause)
        chosen = []
        for b, clauses in by_block.items():
            block = blocks[b]
            if block.row_mode == "most_specific":
                clauses = [max(clauses, key=lambda c: c.pattern.specificity)]
            for clause in clauses:
                chosen.append((block, clause, any(self.matches_pattern(e, row) for e in clause.exceptions)))
        return chosen

    def occurrences(self, row: Row) -> Fraction:
        return row.count if self.plan.events[row.event].counts else ONE

    def _row_base(self, clause: ir.Clause, row: Row) -> Fraction:
        """A row's points under a clause, before item combination, escalation and multipliers.
        A share of a unit quantity (基础分的10%) is filled in later, per unit."""
        if clause.share_of is not None:
            return Fraction(0)
        if clause.reviewed:
            value = row.points
            where = f"{row.file}:{row.row}:分值"
            if value is None:
                self.notices.append(f"{where}: 「{clause.text}」按分值计分，但这一行没有分值，按0分计")
                value = Fraction(0)
            elif clause.row_cap is not None and value > clause.row_cap:
                cap = number_text(clause.row_cap)
                self.notices.append(f"{where}: 分值{number_text(value)}超过最高{cap}分，按{cap}分计")
            base = value * self.occurrences(row) * clause.points
        else:
            base = clause.points * self.occurrences(row)
        if clause.row_cap is not None and abs(base) > clause.row_cap:
            base = clause.row_cap if base > 0 else -clause.row_cap
        return base

    def matches_pattern(self, pattern: ir.RowPattern, row: Row) -> bool:
        if pattern.events and row.event not in pattern.events:
            return False
        if pattern.levels and row.level not in pattern.levels:
            return False
        if pattern.publications and row.publication not in pattern.publications:
            return False
        if pattern.forms and row.form not in pattern.forms:
            return False
        if pattern.not_forms and row.form in pattern.not_forms:
            return False
        if pattern.categories and row.category not in pattern.categories:
            return False
        if pattern.not_categories and row.category in pattern.not_categories:
            return False
        if pattern.tags and not (row.tags & pattern.tags):
            return False
        if pattern.not_tags and row.tags & pattern.not_tags:
            return False
        if pattern.groups and self.plan.unit_groups[row.unit].name not in pattern.groups:
            return False
        if pattern.min_amount is not None and row.count < pattern.min_amount:
            return False
        if pattern.min_length is not None and (row.length is None or row.length < pattern.min_length):
            return False
        if pattern.date_from is not None and row.date < pattern.date_from:
            return False
        if pattern.date_until is not None and row.date > pattern.date_until:
            return False
        for condition in pattern.item_conditions:
            if self.item_has(row, condition.pattern) != condition.exists:
                return False
        return True

    def item_has(self, row: Row, pattern: ir.RowPattern) -> bool:
        return bool(row.item) and any(self.matches_pattern(pattern, other)
                                      for other in self.rows_by_item[row.item])

    def evidence(self, row: Row, pattern: ir.RowPattern) -> list[Row]:
        """The rows of the item that satisfy a multiplier's condition."""
        found = []
        for condition in pattern.item_conditions:
            if condition.exists and row.item:
                found += [o for o in self.rows_by_item[row.item] if self.matches_pattern(condition.pattern, o)]
        return found

    # ------------------------------------------------------------ blocks

    def contributions(self, block_name: str, unit: str) -> list[Contribution]:
        """Every contribution of a block for a unit over the whole period, combined per item
        and multiplied; dropped ones are kept with kept=False for the trace."""
        key = (block_name, unit)
        if key in self._contributions:
            return self._contributions[key]
        block = self.plan.blocks[block_name]
        own = list(self.matches_of.get((block_name, unit), ()))
        self._fill_shares(block, own, unit)
        self._escalate(block, own)
        result = self._combine_items(block, own)
        for contribution in result:
            if contribution.kept and block.multipliers:
                self._multiply(block, contribution)
        for condition in block.conditions:
            for period in subdivide(self.period, condition.grain):
                if _truthy(self.value(condition.expr, unit, period)):
                    points = condition.points
                    if condition.per_gap:
                        gap = abs(self.value(condition.expr.left, unit, period)
                                  - self.value(condition.expr.right, unit, period))
                        points = condition.points * gap
                    result.append(Contribution(block_name, points, points, Fraction(1),
                                               period.end, None, condition))
        for rule in (*block.clauses, *block.conditions):
            if rule.total_cap is not None:
                self._cap([c for c in result if c.rule is rule], rule.total_cap, result)
        if block.cap is not None:
            self._cap(list(result), block.cap, result)
        self._contributions[key] = result
        return result

    def _cap(self, bounded: list[Contribution], cap: ir.Cap, result: list[Contribution]) -> None:
        """Where the total exceeds the cap, add one adjustment dated at the period's end; its base
        is the value before the cap, so that the trace shows both."""
        total = sum((c.points for c in bounded if c.kept), Fraction(0))
        bound = cap.bound(total)
        if bound != total:
            block = bounded[0].block
            result.append(Contribution(block, bound - total, total, Fraction(1), self.period.end, None, cap))

    def _fill_shares(self, block: ir.Block, own: list[Contribution], unit: str) -> None:
        """加基础分的10%: the clause's share of a quantity of the row's unit over the whole period."""
        for c in own:
            clause = c.rule
            if clause.share_of is None or c.zeroed:
                continue
            whole = self.value(clause.share_of, unit, self.period)
            c.base = c.points = (clause.points * whole * self.occurrences(c.row)) if whole is not None else Fraction(0)

    def _escalate(self, block: ir.Block, own: list[Contribution]) -> None:
        """第一次扣10分，第二次起每次扣20分: occurrences counted in date order over the period."""
        for clause in block.clauses:
            if clause.later_points is None:
                continue
            seen = Fraction(0)
            for c in sorted((c for c in own if c.rule is clause and not c.zeroed),
                            key=lambda c: (c.row.date, c.row.file, c.row.row)):
                times = self.occurrences(c.row)
                first = max(Fraction(0), min(times, 1 - seen))
                c.base = c.points = clause.points * first + clause.later_points * (times - first)
                seen += times

    def _combine_items(self, block: ir.Block, own: list[Contribution]) -> list[Contribution]:
        if block.item_mode not in ("max", "once"):
            return own
        groups: dict[object, list[Contribution]] = defaultdict(list)
        for c in own:
            groups[c.row.item or id(c.row)].append(c)
        for members in groups.values():
            if block.item_mode == "max":
                winner = max(members, key=lambda c: (c.base, -c.row.date.toordinal(), -c.row.row))
            else:
                winner = min(members, key=lambda c: (c.row.date, c.row.row))
            for c in members:
                c.kept = c is winner
        return own

    def _multiply(self, block: ir.Block, contribution: Contribution) -> None:
        applied = [m for m in block.multipliers if self.matches_pattern(m.pattern, contribution.row)]
        if not applied:
            return
        if block.stacking == "add":
            factor = 1 + sum((m.factor - 1 for m in applied), Fraction(0))
        else:
            factor = Fraction(1)
            for m in applied:
                factor *= m.factor
        contribution.factor = factor
        contribution.points = contribution.base * factor
        contribution.multipliers = tuple(applied)

    def block_value(self, block_name: str, unit: str, period: PeriodSpan) -> Fraction:
        return sum((c.points for c in self.contributions(block_name, unit)
                    if c.kept and period.start <= c.when <= period.end), Fraction(0))

    # ------------------------------------------------------------ expressions

    def output(self, name: str, unit: str) -> Value | dict[str, Value]:
        """An output's value; one per period, keyed 2018Q1…, for a per-quarter or per-month output."""
        grain = self.plan.definitions[name].grain
        if grain in ("quarter", "month"):
            return {p.label: self.quantity(name, unit, p) for p in subdivide(self.period, grain)}
        return self.quantity(name, unit, self.period)

    def quantity(self, name: str, unit: str, period: PeriodSpan) -> Value:
        definition = self.plan.definitions.get(name)
        if definition is not None and definition.grain is not None:
            period = self.span_of(period, definition.grain)
        key = (name, unit, period)
        if key not in self._cache:
            if name in self.plan.blocks:
                self._cache[key] = self.block_value(name, unit, period)
            else:
                self._cache[key] = self.value(definition.expr, unit, period)
        return self._cache[key]

    def span_of(self, period: PeriodSpan, grain: str) -> PeriodSpan:
        """The whole period (全年), or the month or quarter of the period that contains `period`."""
        if grain == "year":
            return self.period
        return next((p for p in subdivide(self.period, grain) if p.start <= period.start <= p.end), period)

    def value(self, expr: ir.Expr, unit: str, period: PeriodSpan) -> Value:
        if isinstance(expr, ir.Num):
            return expr.value
        if isinstance(expr, ir.Null):
            return None
        if isinstance(expr, ir.Quantity):
            return self.quantity(expr.name, unit, period)
        if isinstance(expr, ir.UnitValue):
            return self.plan.unit_values[expr.table].get(unit)
        if isinstance(expr, ir.Parameter):
            if expr.name in self.parameters:
                return self.parameters[expr.name]
            own = self.plan.unit_groups[unit].attribute(expr.name)
            return own if own is not None else self.plan.parameters[expr.name]
        if isinstance(expr, ir.IfElse):
            condition = self.value(expr.condition, unit, period)
            if condition is None:
                return None
            return self.value(expr.then if condition else expr.otherwise, unit, period)
        if isinstance(expr, ir.PeriodTotal):
            values = [self.quantity(expr.name, unit, p) for p in subdivide(period, expr.grain)]
            return None if any(v is None for v in values) else sum(values, Fraction(0))
        if isinstance(expr, ir.InGroup):
            return self.plan.unit_groups[unit].name in expr.groups
        if isinstance(expr, ir.BundleSize):
            return Fraction(len(self.plan.bundles[unit]))
        if isinstance(expr, ir.BundleTotal):
            values = [self.value(expr.operand, member, period) for member in self.plan.bundles[unit]]
            return None if any(v is None for v in values) else sum(values, Fraction(0))
        if isinstance(expr, ir.Function):
            return _function(expr.name, [self.value(a, unit, period) for a in expr.args])
        if isinstance(expr, ir.RankPoints):
            rank = self.value(expr.rank, unit, period)
            row = self.plan.rank_tables[expr.table].get(self.plan.unit_groups[unit].name)
            return None if rank is None or row is None else row.points_for(int(rank))
        if isinstance(expr, ir.Select):
            return unit in self.selection(expr, unit, period).chosen
        if isinstance(expr, ir.GroupAttribute):
            group = self.plan.unit_groups[unit]
            if expr.name == "单位数":
                return Fraction(len(group.members))
            return group.attribute(expr.name)
        if isinstance(expr, ir.Count):
            return self.count(expr.pattern, unit, period)
        if isinstance(expr, ir.ItemCount):
            items = {c.row.item or id(c.row) for c in self.matches_of.get((expr.block, unit), ())
                     if not c.zeroed and period.start <= c.when <= period.end}
            return Fraction(len(items))
        if isinstance(expr, ir.PeriodCount):
            holding = [_truthy(self.value(expr.condition, unit, p)) for p in subdivide(period, expr.grain)]
            return all(holding) if expr.every else Fraction(sum(holding))
        if isinstance(expr, ir.Rank):
            return self.rank(expr, unit, period)
        if isinstance(expr, ir.BinOp):
            return _binop(expr.op, self.value(expr.left, unit, period), lambda: self.value(expr.right, unit, period))
        if isinstance(expr, ir.Compare):
            if isinstance(expr.right, ir.Null) or isinstance(expr.left, ir.Null):
                other = expr.left if isinstance(expr.right, ir.Null) else expr.right
                missing = self.value(other, unit, period) is None
                return missing if expr.op == "==" else not missing if expr.op == "!=" else None
            return _compare(expr.op, self.value(expr.left, unit, period), self.value(expr.right, unit, period))
        if isinstance(expr, ir.Not):
            operand = self.value(expr.operand, unit, period)
            return None if operand is None else not operand
        if isinstance(expr, ir.Negate):
            operand = self.value(expr.operand, unit, period)
            return None if operand is None else -operand
        raise AssertionError(expr)  # pragma: no cover

    def count(self, pattern: ir.RowPattern, unit: str, period: PeriodSpan) -> Fraction:
        total = Fraction(0)
        for row in self.rows_of(unit, pattern):
            if period.start <= row.date <= period.end and self.matches_pattern(pattern, row):
                total += self.occurrences(row)
        return total

    def rows_of(self, unit: str, pattern: ir.RowPattern) -> list[Row]:
        """The unit's rows of the pattern's events (all its rows when the pattern names none)."""
        if not pattern.events:
            return self.rows_by_unit.get(unit, [])
        return [r for e in pattern.events for r in self.rows_by_event.get((unit, e), ())]

    def recognized(self) -> set[int]:
        """id() of every row the policy uses: matched by a clause (even where an exception zeroes
        it or 取最高 drops it), counted by a 条数 anywhere in the policy, or evidence that made a
        rule apply. Taken over the whole plan, so it does not depend on which branches ran."""
        found: set[int] = set()

        def use(row: Row, pattern: ir.RowPattern) -> None:
            found.add(id(row))
            found.update(id(r) for r in self.evidence(row, pattern))

        for name, contributions in self.matches.items():
            multipliers = self.plan.blocks[name].multipliers
            for c in contributions:
                use(c.row, c.rule.pattern)
                for m in multipliers:
                    if self.matches_pattern(m.pattern, c.row):
                        use(c.row, m.pattern)
        for pattern in self.plan.count_patterns:
            for unit in self.rows_by_unit:
                for row in self.rows_of(unit, pattern):
                    if self.matches_pattern(pattern, row):
                        use(row, pattern)
        return found

    def scope(self, unit: str, within_group: bool) -> tuple[str, ...]:
        if within_group:
            return self.plan.unit_groups[unit].members
        return tuple(u.name for u in self.policy.units)

    def rank(self, expr: ir.Rank, unit: str, period: PeriodSpan) -> Fraction | None:
        """Competition rank (1, 2, 2, 4). Pinned units (置顶) share rank 1; the rest rank after them."""
        key = ("rank", expr, self.plan.unit_groups[unit].name if expr.within_group else None, period)
        if key not in self._cache:
            scope = self.scope(unit, expr.within_group)
            pinned = {u for u in scope if expr.pinned is not None and _truthy(self.value(expr.pinned, u, period))}
            values = {u: self.value(expr.key, u, period) for u in scope if u not in pinned}
            known = [v for v in values.values() if v is not None]
            ranks: dict[str, Fraction | None] = {u: Fraction(1) for u in pinned}
            for u, v in values.items():
                if v is None:
                    ranks[u] = None
                else:
                    better = sum(1 for w in known if (w > v if expr.descending else w < v))
                    ranks[u] = Fraction(len(pinned) + better + 1)
            self._cache[key] = ranks
        return self._cache[key].get(unit)

    def selection(self, expr: ir.Select, unit: str, period: PeriodSpan) -> "Selection":
        """评选: eligible units best-first, a tied run at a time, while the run fits in the quota.
        With ties "stop", the first run that does not fit ends the selection; with "all" it is
        taken whole and then the selection ends. Kept whole, so that a trace can show it."""
        scope = self.scope(unit, expr.within_group)
        key = ("select", expr, scope[0] if expr.within_group else None, period)
        if key not in self._cache:
            quota = self.value(expr.quota, scope[0], period) or Fraction(0)
            keys = {u: self.value(expr.key, u, period) for u in scope}
            eligible = frozenset(u for u in scope
                                 if expr.eligible is None or _truthy(self.value(expr.eligible, u, period)))
            candidates = {u: keys[u] for u in scope if u in eligible and keys[u] is not None}
            chosen: list[str] = []
            for value in sorted(set(candidates.values()), reverse=expr.descending):
                run = [u for u in scope if candidates.get(u) == value]
                if len(chosen) + len(run) <= quota:
                    chosen += run
                    continue
                if expr.ties == "all" and len(chosen) < quota:
                    chosen += run
                break
            self._cache[key] = Selection(quota, keys, eligible, frozenset(chosen))
        return self._cache[key]


def number_text(value: Value) -> str:
    """A value as notices and traces print it: 12, 2.5, 空, 是/否."""
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.4f}".rstrip("0").rstrip(".")


def _function(name: str, args: list[Value]) -> Value:
    if any(a is None for a in args):
        return None
    if name == "max":
        return max(args)
    if name == "min":
        return min(args)
    if name == "clamp":
        return min(max(args[0], args[1]), args[2])
    return Fraction(math.ceil(args[0]) if name == "ceil" else math.floor(args[0]))


def _truthy(value: Value) -> bool:
    return bool(value) if value is not None else False


def _binop(op: str, left: Value, right_thunk) -> Value:
    if op == "and":
        return _truthy(left) and _truthy(right_thunk())
    if op == "or":
        return _truthy(left) or _truthy(right_thunk())
    right = right_thunk()
    if left is None or right is None:
        return None
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return None if right == 0 else Fraction(left) / right
    raise AssertionError(op)  # pragma: no cover


def _compare(op: str, left: Value, right: Value) -> Value:
    if left is None or right is None:
        return None
    return {">=": left >= right, "<=": left <= right, ">": left > right, "<": left < right,
            "==": left == right, "!=": left != right}[op]
