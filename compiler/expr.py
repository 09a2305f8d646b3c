"""Expression nodes shared by the syntax tree and the IR (operators, numbers, ranks).

The syntax tree and the IR differ only in their leaves (a name vs a resolved quantity),
so the operator nodes are one set of frozen dataclasses used by both. "Expr" in an
annotation means the expression union of whichever tree holds the node.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from .span import Span, span_field

if TYPE_CHECKING:             # each tree has its own union; here any of them will do
    Expr = object


@dataclass(frozen=True)
class Num:
    value: Fraction
    span: Span = span_field()

@dataclass(frozen=True)
class Null:
    """空: no value. `x = 空` asks whether x has no value."""
    span: Span = span_field()

@dataclass(frozen=True)
class IfElse:
    condition: "Expr"
    then: "Expr"
    otherwise: "Expr"
    span: Span = span_field()

@dataclass(frozen=True)
class BinOp:
    op: str
    left: "Expr"
    right: "Expr"
    span: Span = span_field()

@dataclass(frozen=True)
class Compare:
    op: str
    left: "Expr"
    right: "Expr"
    span: Span = span_field()

@dataclass(frozen=True)
class Not:
    operand: "Expr"
    span: Span = span_field()

@dataclass(frozen=True)
class Negate:
    operand: "Expr"
    span: Span = span_field()
