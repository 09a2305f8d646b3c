"""Evaluate a plan over ledger rows: every unit's outputs, exactly, with fractions.

Rows are dispatched to clauses by event; each block combines its matches per row and per
item, applies multipliers, and adds its condition clauses. Quantities are computed per
(unit, period) on demand and remembered, in the order the compiler's graph allows.
Every contribution keeps its row and its rule, so that a result can be explained.
"""
from __future__ import annotations

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


class Evaluation:
    """The results of one plan over one ledger."""

    def __init__(self, plan: Plan, rows: list[Row], period: PeriodSpan) -> None:
        self.plan = plan
        self.policy = plan.policy
        self.period = period
        self.rows = rows
        self.rows_by_unit: dict[str, list[Row]] = defaultdict(list)
        self.rows_by_item: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            self.rows_by_unit[row.unit].append(row)
            if row.item:
                self.rows_by_item[row.item].append(row)
        self.counted: set[int] = set()          # id() of rows some rule counted
        self.matches: dict[str, list[Contribution]] = {b.name: [] for b in self.policy.blocks}
        self._contributions: dict[tuple[str, str], list[Contribution]] = {}
        self._cache: dict[tuple, Value] = {}
        self._match_rows()

    # ------------------------------------------------------------ rows -> block matches

    def _match_rows(self) -> None:
        blocks = self.policy.blocks
        for row in self.rows:
            candidates = self.plan.dispatch.get(row.event)
            if not candidates:
                continue
            by_block: dict[int, list[ir.Clause]] = defaultdict(list)
            for b, c in candidates:
                clause = blocks[b].clauses[c]
                if self.matches_pattern(clause.pattern, row):
                    by_block[b].append(clause)
            for b, clauses in by_block.items():
                block = blocks[b]
                if block.row_mode == "most_specific":
                    clauses = [max(clauses, key=lambda c: c.pattern.specificity)]
                for clause in clauses:
                    self.counted.add(id(row))
                    kind = self.plan.events[row.event]
                    base = clause.points * (row.count if kind.counts else 1)
                    zeroed = any(self.matches_pattern(e, row) for e in clause.exceptions)
                    if zeroed:
                        base = Fraction(0)
                    self.matches[block.name].append(
                        Contribution(block.name, base, base, Fraction(1), row.date, row, clause, (), zeroed))

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
        own = [c for c in self.matches[block_name] if c.row.unit == unit]
        result = self._combine_items(block, own)
        for contribution in result:
            if contribution.kept and block.multipliers:
                self._multiply(block, contribution)
        for condition in block.conditions:
            for period in subdivide(self.period, condition.grain):
                if _truthy(self.value(condition.expr, unit, period)):
                    result.append(Contribution(block_name, condition.points, condition.points, Fraction(1),
                                               period.end, None, condition))
        self._contributions[key] = result
        return result

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
        if contribution.points:
            for m in applied:
                for row in self.evidence(contribution.row, m.pattern):
                    self.counted.add(id(row))

    def block_value(self, block_name: str, unit: str, period: PeriodSpan) -> Fraction:
        return sum((c.points for c in self.contributions(block_name, unit)
                    if c.kept and period.start <= c.when <= period.end), Fraction(0))

    # ------------------------------------------------------------ expressions

    def output(self, name: str, unit: str) -> Value:
        return self.quantity(name, unit, self.period)

    def quantity(self, name: str, unit: str, period: PeriodSpan) -> Value:
        key = (name, unit, period)
        if key not in self._cache:
            if name in self.plan.blocks:
                self._cache[key] = self.block_value(name, unit, period)
            else:
                self._cache[key] = self.value(self.plan.definitions[name].expr, unit, period)
        return self._cache[key]

    def value(self, expr: ir.Expr, unit: str, period: PeriodSpan) -> Value:
        if isinstance(expr, ir.Num):
            return expr.value
        if isinstance(expr, ir.Quantity):
            return self.quantity(expr.name, unit, period)
        if isinstance(expr, ir.GroupAttribute):
            group = self.plan.unit_groups[unit]
            if expr.name == "单位数":
                return Fraction(len(group.members))
            return group.attribute(expr.name)
        if isinstance(expr, ir.Count):
            return self.count(expr.pattern, unit, period)
        if isinstance(expr, ir.ItemCount):
            items = {c.row.item or id(c.row) for c in self.matches[expr.block]
                     if c.row.unit == unit and not c.zeroed and period.start <= c.when <= period.end}
            return Fraction(len(items))
        if isinstance(expr, ir.PeriodCount):
            return Fraction(sum(1 for p in subdivide(period, expr.grain)
                                if _truthy(self.value(expr.condition, unit, p))))
        if isinstance(expr, ir.Rank):
            return self.rank(expr, unit, period)
        if isinstance(expr, ir.BinOp):
            return _binop(expr.op, self.value(expr.left, unit, period), lambda: self.value(expr.right, unit, period))
        if isinstance(expr, ir.Compare):
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
        for row in self.rows_by_unit.get(unit, ()):
            if period.start <= row.date <= period.end and self.matches_pattern(pattern, row):
                self.counted.add(id(row))
                total += row.count if self.plan.events[row.event].counts else 1
        return total

    def rank(self, expr: ir.Rank, unit: str, period: PeriodSpan) -> Fraction | None:
        key = ("rank", expr, self.plan.unit_groups[unit].name if expr.within_group else None, period)
        if key not in self._cache:
            scope = (self.plan.unit_groups[unit].members if expr.within_group
                     else [u.name for u in self.policy.units])
            values = {u: self.value(expr.key, u, period) for u in scope}
            known = [v for v in values.values() if v is not None]
            ranks = {}
            for u, v in values.items():
                if v is None:
                    ranks[u] = None
                else:
                    better = sum(1 for w in known if (w > v if expr.descending else w < v))
                    ranks[u] = Fraction(better + 1)
            self._cache[key] = ranks
        return self._cache[key].get(unit)


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
