"""Pass 3b, lint: rules that resolve but cannot work as written.

A clause that repeats another or is always outranked by one (取最具体), a cap that can never
bind or has nothing to cap, a date window outside the assessment period, and an output that
depends on nothing. Each finding is a warning: the policy still scores, but some line of it
has no effect, which is seldom what the drafter meant.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from datetime import date

from . import ir
from .diagnostics import Diagnostics


def lint(policy: ir.Policy, diagnostics: Diagnostics) -> None:
    """Report clauses, caps, date windows and outputs that can never take effect."""
    counting = {e.name: e.counts for e in policy.events}
    for block in policy.blocks:
        _duplicates_and_shadows(block, diagnostics)
        _caps(block, counting, diagnostics)
    if policy.period.year_named:
        _windows(policy, diagnostics)
    _constant_outputs(policy, diagnostics)
    _unused_vocabulary(policy, diagnostics)


# ---------------------------------------------------------------- clauses

def _duplicates_and_shadows(block: ir.Block, diagnostics: Diagnostics) -> None:
    clauses = block.clauses
    for j, later in enumerate(clauses):
        same = next((c for c in clauses[:j] if c.pattern == later.pattern and c.exceptions == later.exceptions), None)
        if same is not None:
            hint = ("取最具体时只有前一条计分，这一条不起作用；删去一条" if block.row_mode == "most_specific"
                    else "两条都计分，同一行会计两次；删去一条，或写明各自不同的条件")
            diagnostics.add("GR309", later.span, block=block.name, line=same.span.line, related=(same.span,), hint=hint)
            continue
        if block.row_mode != "most_specific":
            continue
        rank = later.pattern.specificity
        winners = [other for i, other in enumerate(clauses)      # each would be chosen over `later`
                   if i != j and other.pattern != later.pattern
                   and (other.pattern.specificity > rank or (other.pattern.specificity == rank and i < j))]
        covering = _covering(winners, later)
        if covering:
            lines = "、".join(str(c.span.line) for c in covering)
            diagnostics.add("GR310", later.span, block=block.name, line=lines, related=tuple(c.span for c in covering),
                            hint="同样具体时取写在前面的一条；把条件写得更具体，或调换条款的顺序，或删去这一条")


# the fields whose values a pattern takes one of: a clause for 省级以上 is 省级 and 国家级 together
_ONE_OF = ("events", "levels", "publications", "forms", "categories", "groups")


def _covering(winners: list[ir.Clause], narrow: ir.Clause) -> list[ir.Clause]:
    """Clauses that between them score every row `narrow` matches: one that covers it all, or, split
    by the values of one field and each part covered in the same way, one for each part (国家级
    and 省级 cover 省级以上). In policy order; [] when there are none."""
    found = _cover(winners, narrow)
    chosen = {id(c) for c in found or ()}
    return [c for c in winners if id(c) in chosen]


def _cover(winners: list[ir.Clause], narrow: ir.Clause) -> list[ir.Clause] | None:
    whole = next((c for c in winners if _covers(c, narrow)), None)
    if whole is not None:
        return [whole]
    for name in _ONE_OF:        # each split leaves one value in a field: the depth is at most len(_ONE_OF)
        values = getattr(narrow.pattern, name)
        if len(values) < 2:
            continue
        parts = [_cover(winners, replace(narrow, pattern=replace(narrow.pattern, **{name: frozenset({v})})))
                 for v in sorted(values)]
        if None not in parts:
            return [c for part in parts for c in part]
    return None


def _covers(wide: ir.Clause, narrow: ir.Clause) -> bool:
    """Whether every row that `narrow` scores also matches `wide` (judged by what both patterns say)."""
    a, b = wide.pattern, narrow.pattern
    if wide.exceptions:
        return False
    for name in ("events", "levels", "publications", "forms", "categories", "groups", "tags"):
        mine, theirs = getattr(a, name), getattr(b, name)
        if mine and not (theirs and theirs <= mine):
            return False
    for negated, positive in (("not_forms", "forms"), ("not_categories", "categories")):
        for value in getattr(a, negated):
            if value not in getattr(b, negated) and not (getattr(b, positive) and value not in getattr(b, positive)):
                return False
    if not a.not_tags <= b.not_tags or not set(a.item_conditions) <= set(b.item_conditions):
        return False
    return (_at_most(a.min_amount, b.min_amount) and _at_most(a.min_length, b.min_length)
            and _at_most(a.date_from, b.date_from) and _at_most(b.date_until, a.date_until))


def _at_most(bound, other) -> bool:
    """A lower bound `bound` (None: none) is implied by `other`: no bound, or one no stricter."""
    return bound is None or (other is not None and bound <= other)


# ---------------------------------------------------------------- caps

_CAP_WORDS = {"deduction": "扣分上限", "bonus": "加分上限", "both": "上限"}


def _caps(block: ir.Block, counting: dict[str, bool], diagnostics: Diagnostics) -> None:
    for clause in block.clauses:
        signs = _clause_signs(clause)
        if clause.total_cap is not None:
            _direction(clause.total_cap, signs, "这一条", diagnostics)
        if clause.row_cap is not None and not clause.reviewed and clause.share_of is None \
                and clause.pattern.events and not any(counting.get(e, True) for e in clause.pattern.events):
            largest = max(abs(clause.points), abs(clause.later_points or 0))
            if largest <= clause.row_cap:
                limit = _number(clause.row_cap)
                diagnostics.add("GR311", clause.span, cap=f"最高{limit}分",
                                reason=f"这一条每行只计{_number(largest)}分（数量不乘分值），不会超过{limit}分",
                                hint="如要限制整个考核期的合计，写「加分上限N分」或「扣分上限N分」")
    for condition in block.conditions:
        if condition.total_cap is not None:
            _direction(condition.total_cap, {_sign(condition.points)}, "这一条", diagnostics)
    if block.cap is not None:
        if not block.clauses and not block.conditions:
            diagnostics.add("GR311", block.cap.span, cap=_cap_text(block.cap), reason="计分项里没有条款，没有可限制的分",
                            hint="把上限写在有条款的计分项里，或删去这一行")
        else:
            signs = set().union(*(_clause_signs(c) for c in block.clauses), {_sign(c.points) for c in block.conditions})
            _direction(block.cap, signs, "这个计分项", diagnostics)


def _direction(cap: ir.Cap, signs: set, what: str, diagnostics: Diagnostics) -> None:
    """A cap on deductions where only points are added, or the reverse; signs: {-1, 0, 1, None (unknown)}."""
    if None in signs:
        return
    text = _cap_text(cap)
    if signs <= {0}:
        diagnostics.add("GR311", cap.span, cap=text, reason=f"{what}不计分，没有可限制的分", hint="删去上限")
    elif cap.direction == "deduction" and -1 not in signs:
        diagnostics.add("GR311", cap.span, cap=text, reason=f"扣分上限只限制扣分，而{what}只加分",
                        hint="限制加分写「加分上限」，两个方向都限制写「上限」")
    elif cap.direction == "bonus" and 1 not in signs:
        diagnostics.add("GR311", cap.span, cap=text, reason=f"加分上限只限制加分，而{what}只扣分",
                        hint="限制扣分写「扣分上限」，两个方向都限制写「上限」")


def _clause_signs(clause: ir.Clause) -> set:
    if clause.share_of is not None:
        return {None}                  # the sign of the quantity is known only when scoring
    signs = {_sign(clause.points)}     # a reviewer's 分值 is a score, never negative
    if clause.later_points is not None:
        signs.add(_sign(clause.later_points))
    return signs


def _sign(value) -> int:
    return (value > 0) - (value < 0)


def _cap_text(cap: ir.Cap) -> str:
    return f"{_CAP_WORDS[cap.direction]}{_number(cap.limit)}分"


def _number(value) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


# ---------------------------------------------------------------- date windows

def _windows(policy: ir.Policy, diagnostics: Diagnostics) -> None:
    start, end = date.fromisoformat(policy.period.start), date.fromisoformat(policy.period.end)

    def check(pattern: ir.RowPattern, span, what: str) -> None:
        for window in _patterns(pattern):
            low, high = window.date_from, window.date_until
            if (low and low > end) or (high and high < start) or (low and high and low > high):
                diagnostics.add("GR312", span, what=what, window=_window_text(low, high),
                                start=policy.period.start, end=policy.period.end,
                                hint="核对日期的年份，或考核期是否写对")
                return

    for block in policy.blocks:
        for clause in block.clauses:
            check(clause.pattern, clause.span, "这一条")
        for multiplier in block.multipliers:
            check(multiplier.pattern, multiplier.span, "这一条")
        for condition in block.conditions:
            for count in _counts(condition.expr):
                check(count.pattern, count.span, "条数（…）")
    for definition in policy.definitions:
        for count in _counts(definition.expr):
            check(count.pattern, count.span, "条数（…）")


def _patterns(pattern: ir.RowPattern):
    """A pattern and the patterns of its item conditions, all of which must hold at some date."""
    yield pattern
    for condition in pattern.item_conditions:
        if condition.exists:
            yield from _patterns(condition.pattern)


def _counts(expr):
    if isinstance(expr, ir.Count):
        yield expr
    for child in ir.children(expr):
        yield from _counts(child)


def _window_text(low, high) -> str:
    if low and high:
        return f"{low.isoformat()}至{high.isoformat()}"
    return f"{low.isoformat()}起" if low else f"{high.isoformat()}止"


# ---------------------------------------------------------------- outputs

def _constant_outputs(policy: ir.Policy, diagnostics: Diagnostics) -> None:
    definitions = {d.name: d for d in policy.definitions}
    for definition in policy.definitions:
        if definition.output and not _depends(definition.expr, definitions, set()):
            diagnostics.add("GR402", definition.span, name=definition.name,
                            hint="结果要用到计分项、条数或单位的数值；核对名称是否写错，或它是否应是参数")


_CONSTANT = (ir.Num, ir.Null, ir.Parameter)


def _depends(expr, definitions: dict, seen: set) -> bool:
    """Whether an expression's value can differ between units or ledgers."""
    if isinstance(expr, (ir.Quantity, ir.PeriodTotal)):
        definition = definitions.get(expr.name)
        if definition is None:                 # a score block: rows of the ledger
            return True
        if expr.name in seen:
            return False
        seen.add(expr.name)
        return _depends(definition.expr, definitions, seen)
    kids = list(ir.children(expr))
    if not kids:
        return not isinstance(expr, _CONSTANT)
    return any(_depends(kid, definitions, seen) for kid in kids)


# ---------------------------------------------------------------- declarations

def _unused_vocabulary(policy: ir.Policy, diagnostics: Diagnostics) -> None:
    """A declared publication or event that no rule can match: its rows can only come back unmatched."""
    patterns = [p for p in _all_patterns((policy.blocks, policy.definitions, policy.sets, policy.trees))]
    events = set().union(*(p.events for p in patterns))
    for event in policy.events:
        if event.name not in events and event.span is not None:
            diagnostics.add("GR213", event.span, kind="事项", name=event.name,
                            hint="台账里这种事项的行都会是「未匹配」；写一条计分条款用到它，或删去这个声明")
    for publication in policy.publications:
        if publication.span is not None and not any(_may_match(p, publication) for p in patterns):
            diagnostics.add("GR213", publication.span, kind="刊物", name=publication.name,
                            hint="这个刊物的采用都会是「未匹配」；写一条计分条款用到它，或删去这个声明")


def _may_match(pattern: ir.RowPattern, publication: ir.Publication) -> bool:
    """Whether a rule could score an adoption in this publication: it names it, or it names no
    publication and its levels (if any) include one of the publication's."""
    if pattern.events and "采用" not in pattern.events:
        return False
    if pattern.publications:
        return publication.name in pattern.publications
    return not pattern.levels or bool(pattern.levels & publication.levels)


def _all_patterns(node):
    """Every RowPattern anywhere under a node of the IR."""
    if isinstance(node, ir.RowPattern):
        yield node
        for condition in node.item_conditions:
            yield from _all_patterns(condition.pattern)
    elif is_dataclass(node) and not isinstance(node, type):
        for f in fields(node):
            if f.name != "span":
                yield from _all_patterns(getattr(node, f.name))
    elif isinstance(node, (tuple, list, frozenset)):
        for child in node:
            yield from _all_patterns(child)
