"""The syntax tree: what a policy file says, line by line, before any name is resolved.

The parse pass produces these nodes; the build pass turns them into the IR. Every node is a
frozen dataclass whose span takes no part in equality.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .expr import BinOp, Compare, IfElse, Negate, Not, Null, Num  # noqa: F401  (re-exported)
from .span import Span, span_field



@dataclass(frozen=True)
class Text:
    """A piece of source text with its position (a name, a phrase, a list entry)."""
    value: str
    span: Span = span_field()


@dataclass(frozen=True)
class Header:
    key: str              # "title" | "docno" | "subunits"
    value: Text
    span: Span = span_field()


@dataclass(frozen=True)
class PeriodDecl:
    start: str | None     # ISO dates when the document names them
    end: str | None
    year: int | None
    named: bool           # False when the document names no year (a default)
    span: Span = span_field()


@dataclass(frozen=True)
class LevelDecl:
    level: str
    aliases: tuple[Text, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class PublicationDecl:
    name: Text
    aliases: tuple[Text, ...]
    levels: tuple[Text, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class VocabDecl:
    kind: str             # "form" | "category" | "tag"
    names: tuple[Text, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class EventDecl:
    name: Text
    measure: Text | None  # 数量为周数: 数量 measures, it does not count
    span: Span = span_field()


@dataclass(frozen=True)
class GroupDecl:
    name: Text
    claimed_count: int | None
    attributes: tuple[tuple[Text, Fraction], ...]
    members: tuple[Text, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class Points:
    value: Fraction       # signed: 扣 gives a negative value
    span: Span = span_field()
    kind: str = "fixed"   # "fixed" | "reviewed" (the row's 分值) | "share" (value × a quantity)
    share_of: Text | None = None   # 基础分 in 加基础分的10%
    first: bool = False   # written 第一次…, so a later-occurrence qualifier is expected


@dataclass(frozen=True)
class Qualifier:
    phrase: Text          # the rows it names score nothing
    span: Span = span_field()


@dataclass(frozen=True)
class Cap:
    value: Fraction       # 最高10分: no row scores more
    span: Span = span_field()
    direction: str = "both"   # 扣分上限: "deduction"; 加分上限: "bonus"; 上限: "both"
    # a Cap on its own line in a block bounds the whole block (本项扣分上限10分)


@dataclass(frozen=True)
class Later:
    points: Points        # 第二次起每次扣20分
    span: Span = span_field()


@dataclass(frozen=True)
class ClauseSyntax:
    phrase: Text
    points: Points
    qualifiers: tuple[Qualifier, ...]
    span: Span = span_field()
    cap: Cap | None = None
    later: Later | None = None
    total_cap: Cap | None = None  # 扣分上限20分: the clause's total over the period


@dataclass(frozen=True)
class MultiplierSyntax:
    phrase: Text
    factor: Fraction
    span: Span = span_field()


@dataclass(frozen=True)
class ConditionSyntax:
    grain: str            # "year" | "quarter" | "month"
    condition: "Expr"
    points: Points
    span: Span = span_field()
    per_gap: str | None = None    # 每少一条扣2分 "short" / 每多一条 "over": points × the gap
    total_cap: Cap | None = None




@dataclass(frozen=True)
class CombineSyntax:
    scope: str            # "row" | "item" | "stacking"
    text: Text
    span: Span = span_field()


@dataclass(frozen=True)
class BlockDecl:
    name: Text
    lines: tuple
    span: Span = span_field()


@dataclass(frozen=True)
class Definition:
    name: Text
    expr: "Expr"
    output: bool
    span: Span = span_field()
    grain: str | None = None      # "quarter" | "month" | "year"; None: the caller's period


@dataclass(frozen=True)
class Export:
    names: tuple[Text, ...]       # 组织领导、信息报送: quantities output under their own names
    span: Span = span_field()


@dataclass(frozen=True)
class ParameterDecl:
    name: Text
    default: Fraction
    span: Span = span_field()


@dataclass(frozen=True)
class SetDecl:
    name: Text
    phrases: tuple[Text, ...]     # every phrase holds (合格专报：…报送的专报信息，字数不少于1500)
    span: Span = span_field()


@dataclass(frozen=True)
class TreeNode:
    name: Text
    weight: Fraction
    span: Span = span_field()


@dataclass(frozen=True)
class TreeDecl:
    name: Text
    total: Fraction
    branches: tuple[tuple[TreeNode, tuple[TreeNode, ...]], ...]
    span: Span = span_field()


@dataclass(frozen=True)
class UnitValueDecl:
    name: Text                    # 基础分
    entries: tuple[tuple[tuple[Text, ...], Fraction], ...]
    span: Span = span_field()


@dataclass(frozen=True)
class BundleDecl:
    members: tuple[Text, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class RankRow:
    group: Text
    points: tuple[Fraction, ...]  # points for rank 1, 2, …
    rest: Fraction | None         # 其余5分
    rest_count: int | None        # 后六名5分: how many the document says get the rest
    span: Span = span_field()


@dataclass(frozen=True)
class RankTableDecl:
    name: Text
    rows: tuple[RankRow, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class WeightDecl:
    name: Text
    weights: tuple[tuple[Text, Fraction], ...]
    span: Span = span_field()


# ---------------------------------------------------------------- expressions

@dataclass(frozen=True)
class Ref:
    name: str
    span: Span = span_field()


@dataclass(frozen=True)
class Count:
    phrase: Text          # rows to count, as a phrase
    span: Span = span_field()


@dataclass(frozen=True)
class Items:
    block: str            # distinct items a score block counted
    span: Span = span_field()


@dataclass(frozen=True)
class Periods:
    grain: str            # "month" | "quarter"
    condition: "Expr"
    span: Span = span_field()
    every: bool = False   # 每月都（…）: true when every period holds, not a count


@dataclass(frozen=True)
class Option:
    key: str | None       # 名额 | 资格 | 置顶, or None for a bare word (本组, 从高到低, 并列…)
    value: "Expr | Text"
    span: Span = span_field()


@dataclass(frozen=True)
class Call:
    """A built-in function: 排名、评选、名次分、合计、最大、属于 …; resolved by name."""
    function: str
    args: tuple["Expr", ...]
    options: tuple[Option, ...]
    span: Span = span_field()


Expr = Num | Null | Ref | Count | Items | Periods | Call | BinOp | Compare | Not | Negate | IfElse


@dataclass(frozen=True)
class PolicySyntax:
    file: str
    headers: tuple[Header, ...]
    period: PeriodDecl | None
    levels: tuple[LevelDecl, ...]
    publications: tuple[PublicationDecl, ...]
    vocab: tuple[VocabDecl, ...]
    events: tuple[EventDecl, ...]
    groups: tuple[GroupDecl, ...]
    blocks: tuple[BlockDecl, ...]
    definitions: tuple[Definition, ...]
    weights: tuple[WeightDecl, ...]
    unit_values: tuple[UnitValueDecl, ...] = ()
    bundles: tuple[BundleDecl, ...] = ()
    rank_tables: tuple[RankTableDecl, ...] = ()
    parameters: tuple[ParameterDecl, ...] = ()
    sets: tuple[SetDecl, ...] = ()
    trees: tuple[TreeDecl, ...] = ()
    exports: tuple[Export, ...] = ()
