"""Expression nodes shared by the syntax tree and the IR (operators, numbers, ranks).

The syntax tree and the IR differ only in their leaves (a name vs a resolved quantity),
so the operator nodes are one set of frozen dataclasses used by both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .span import Span


def _span():
    return field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Num:
    value: Fraction
    span: Span = _span()

@dataclass(frozen=True)
class Rank:
    key: "Expr"
    within_group: bool
    descending: bool
    span: Span = _span()

@dataclass(frozen=True)
class BinOp:
    op: str
    left: "Expr"
    right: "Expr"
    span: Span = _span()

@dataclass(frozen=True)
class Compare:
    op: str
    left: "Expr"
    right: "Expr"
    span: Span = _span()

@dataclass(frozen=True)
class Not:
    operand: "Expr"
    span: Span = _span()

@dataclass(frozen=True)
class Negate:
    operand: "Expr"
    span: Span = _span()
