"""The intermediate representation: a policy with every name resolved.

Frozen dataclasses; spans take no part in equality, so two policies that say the same
thing in different words (or scripts) compare equal.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction

from .expr import BinOp, Compare, IfElse, Negate, Not, Null, Num  # noqa: F401  (re-exported)
from .span import Span, span_field

LEVELS = ("国家", "省", "市", "县")          # highest first


@dataclass(frozen=True)
class Period:
    start: str
    end: str
    year_named: bool


@dataclass(frozen=True)
class Publication:
    name: str
    levels: frozenset[str]
    aliases: tuple[str, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class EventKind:
    name: str
    counts: bool            # 数量 counts occurrences (× 数量); False when it measures (周数)
    span: Span = span_field()


@dataclass(frozen=True)
class Unit:
    name: str
    group: str
    aliases: tuple[str, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class Group:
    name: str
    members: tuple[str, ...]
    claimed_count: int | None
    attributes: tuple[tuple[str, Fraction], ...]
    span: Span = span_field()

    def attribute(self, name: str) -> Fraction | None:
        return dict(self.attributes).get(name)


@dataclass(frozen=True)
class ItemCondition:
    """The item has (or has no) another row that matches `pattern`."""
    exists: bool
    pattern: "RowPattern"


@dataclass(frozen=True)
class RowPattern:
    """Which ledger rows a rule is about. Empty sets mean 'any'."""
    events: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    publications: frozenset[str] = frozenset()
    forms: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    not_forms: frozenset[str] = frozenset()
    not_categories: frozenset[str] = frozenset()
    not_tags: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    item_conditions: tuple[ItemCondition, ...] = ()
    min_amount: Fraction | None = None      # 满3周: the row's 数量 is at least this
    min_length: int | None = None           # 字数不少于1500
    date_from: date | None = None           # 2022年7月1日起
    date_until: date | None = None          # 2022年6月30日止 (inclusive; 7月1日前 is stored as 6月30日)

    @property
    def specificity(self) -> int:
        """For 取最具体: a rule for a named group beats one for everyone; then a named
        publication beats a form, which beats a category or tag, which beats a level alone."""
        return (16 * bool(self.groups) + 8 * bool(self.publications) + 4 * bool(self.forms or self.not_forms)
                + 2 * bool(self.categories or self.tags or self.not_categories or self.not_tags)
                + bool(self.levels))

    @property
    def by_names(self) -> bool:
        """Whether a row's names alone (unit, event, level, publication, form, category, tags) decide a match."""
        return not (self.item_conditions or self.min_amount is not None or self.min_length is not None
                    or self.date_from is not None or self.date_until is not None)

    def without_events(self) -> "RowPattern":
        return replace(self, events=frozenset())


@dataclass(frozen=True)
class Cap:
    """A bound on a total over the period: a clause's or a whole block's (扣分上限20分).
    Applying it leaves an adjustment in the evaluation, with the value before the cap."""
    limit: Fraction
    scope: str                        # "clause" | "block"
    direction: str = "both"           # "deduction" (扣分上限) | "bonus" (加分上限) | "both" (上限)
    text: str = field(default="", compare=False)
    span: Span = span_field()

    def bound(self, total: Fraction) -> Fraction:
        """The total after the cap."""
        if total < -self.limit and self.direction in ("deduction", "both"):
            return -self.limit
        if total > self.limit and self.direction in ("bonus", "both"):
            return self.limit
        return total


@dataclass(frozen=True)
class Clause:
    pattern: RowPattern
    points: Fraction              # per occurrence; the first one when later_points is set
    exceptions: tuple[RowPattern, ...]
    text: str = field(default="", compare=False)
    span: Span = span_field()
    later_points: Fraction | None = None   # 第二次起每次扣20分: from the second occurrence in the period
    row_cap: Fraction | None = None        # 最高10分: no row scores more
    reviewed: bool = False                 # the score is the row's 分值 (× the sign of points)
    share_of: "Expr | None" = None         # points × this unit quantity (加基础分的10%: points = 10%)
    total_cap: Cap | None = None           # 扣分上限20分: the clause's total over the period


@dataclass(frozen=True)
class Multiplier:
    pattern: RowPattern
    factor: Fraction
    text: str = field(default="", compare=False)
    span: Span = span_field()


@dataclass(frozen=True)
class Condition:
    """Points given once per period (年/季/月) in which `expr` holds for the unit."""
    grain: str
    expr: "Expr"
    points: Fraction
    span: Span = span_field()
    per_gap: bool = False             # points × |left − right| of the comparison (每少一条扣2分)
    total_cap: Cap | None = None


@dataclass(frozen=True)
class Block:
    """A named score: clauses over rows, combined per row and per item, then multiplied."""
    name: str
    clauses: tuple[Clause, ...]
    row_mode: str | None          # "most_specific" | "sum"
    item_mode: str | None         # "sum" | "max" | "once"
    multipliers: tuple[Multiplier, ...]
    stacking: str | None          # "add" | "multiply"
    conditions: tuple[Condition, ...]
    span: Span = span_field()
    cap: Cap | None = None        # 本项扣分上限10分


# Expressions: the syntax's, with names resolved.
@dataclass(frozen=True)
class Quantity:
    """A definition or a block, by name."""
    name: str
    span: Span = span_field()


@dataclass(frozen=True)
class GroupAttribute:
    name: str                      # 目标, 月报送任务, …, or 单位数
    span: Span = span_field()


@dataclass(frozen=True)
class Count:
    pattern: RowPattern
    span: Span = span_field()


@dataclass(frozen=True)
class ItemCount:
    block: str
    span: Span = span_field()


@dataclass(frozen=True)
class PeriodCount:
    grain: str
    condition: "Expr"
    span: Span = span_field()
    every: bool = False           # 每月都（…）: a flag, true when all periods hold


@dataclass(frozen=True)
class PeriodTotal:
    """合计（季度考核分）: a per-period quantity summed over the periods of the caller's span."""
    name: str
    grain: str
    span: Span = span_field()


@dataclass(frozen=True)
class Parameter:
    """A declared value: --param overrides it, then a group number of the same name, then the default."""
    name: str
    span: Span = span_field()


@dataclass(frozen=True)
class UnitValue:
    """A number declared per unit in 【单位数值：名】; 空 for a unit the table does not list."""
    table: str
    span: Span = span_field()


@dataclass(frozen=True)
class InGroup:
    groups: frozenset[str]
    span: Span = span_field()


@dataclass(frozen=True)
class BundleSize:
    span: Span = span_field()


@dataclass(frozen=True)
class BundleTotal:
    """捆绑合计（x）: x summed over the units bundled with this one (itself when unbundled)."""
    operand: "Expr"
    span: Span = span_field()


@dataclass(frozen=True)
class Function:
    name: str                     # "max" | "min" | "ceil" | "floor" | "clamp" (x, low, high)
    args: tuple["Expr", ...]
    span: Span = span_field()


@dataclass(frozen=True)
class Rank:
    key: "Expr"
    within_group: bool
    descending: bool
    span: Span = span_field()
    pinned: "Expr | None" = None  # units where this holds rank 1; the rest rank after them


@dataclass(frozen=True)
class RankPoints:
    table: str
    rank: "Expr"
    span: Span = span_field()


@dataclass(frozen=True)
class Select:
    """评选: the best units by key, within the quota, among those eligible."""
    key: "Expr"
    within_group: bool
    descending: bool
    quota: "Expr"
    eligible: "Expr | None"
    ties: str                     # "stop": a tied run that does not fit ends the selection; "all"
    span: Span = span_field()


Expr = (Num | Null | Quantity | GroupAttribute | UnitValue | Parameter | Count | ItemCount | PeriodCount | PeriodTotal
        | InGroup | BundleSize | BundleTotal | Function | Rank | RankPoints | Select
        | BinOp | Compare | Not | Negate | IfElse)


_CHILD_FIELDS = ("left", "right", "operand", "condition", "then", "otherwise", "key", "pinned",
                 "quota", "eligible", "rank", "args")


def children(expr: Expr):
    """The sub-expressions of an expression node, for passes that walk expressions."""
    for name in _CHILD_FIELDS:
        child = getattr(expr, name, None)
        if isinstance(child, tuple):
            yield from child
        elif child is not None:
            yield child


@dataclass(frozen=True)
class Definition:
    name: str
    expr: Expr
    output: bool
    span: Span = span_field()
    grain: str | None = None      # "quarter" | "month": one value per period; "year": the whole period


@dataclass(frozen=True)
class ParameterDecl:
    name: str
    default: Fraction
    span: Span = span_field()


@dataclass(frozen=True)
class TreeNode:
    name: str
    weight: Fraction
    children: tuple["TreeNode", ...] = ()
    span: Span = span_field()


@dataclass(frozen=True)
class Tree:
    """An indicator tree scored by deduction: a first-level node is its weight plus its items'
    (negative) values, kept within 0…weight; the tree is the sum of its first-level nodes."""
    name: str
    total: Fraction
    nodes: tuple[TreeNode, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class UnitValues:
    name: str
    values: tuple[tuple[str, Fraction], ...]
    span: Span = span_field()


@dataclass(frozen=True)
class RankTableRow:
    group: str
    points: tuple[Fraction, ...]
    rest: Fraction | None
    span: Span = span_field()

    def points_for(self, rank: int) -> Fraction | None:
        return self.points[rank - 1] if rank <= len(self.points) else self.rest


@dataclass(frozen=True)
class RankTable:
    name: str
    rows: tuple[RankTableRow, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class WeightSet:
    name: str
    weights: tuple[tuple[str, Fraction], ...]
    span: Span = span_field()


@dataclass(frozen=True)
class Policy:
    file: str = field(compare=False)
    title: str
    document_number: str | None
    period: Period
    subunits_count_for_parent: bool
    level_aliases: tuple[tuple[str, str], ...]     # (normalised wording, level)
    publications: tuple[Publication, ...]
    forms: frozenset[str]
    categories: frozenset[str]
    tags: frozenset[str]
    events: tuple[EventKind, ...]
    groups: tuple[Group, ...]
    units: tuple[Unit, ...]
    blocks: tuple[Block, ...]
    definitions: tuple[Definition, ...]
    weights: tuple[WeightSet, ...]
    unit_values: tuple[UnitValues, ...] = ()
    bundles: tuple[tuple[str, ...], ...] = ()
    rank_tables: tuple[RankTable, ...] = ()
    parameters: tuple[ParameterDecl, ...] = ()
    sets: tuple[tuple[str, RowPattern], ...] = ()
    trees: tuple[Tree, ...] = ()
    output_order: tuple[str, ...] = ()     # as 【结果】 lists them, exports included

    @property
    def outputs(self) -> tuple[Definition, ...]:
        chosen = {d.name: d for d in self.definitions if d.output}
        ordered = [chosen[n] for n in self.output_order if n in chosen]
        return tuple(ordered + [d for n, d in chosen.items() if n not in self.output_order])
