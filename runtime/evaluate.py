"""Evaluate a plan over ledger rows: every unit's outputs, exactly, with fractions.

A ledger repeats a few thousand combinations of names a million times, so rows are first put
into buckets that no clause can tell apart: the same unit, event, level, publication, form,
category and tags, and the same 数量 and 分值 cells. Which clauses score a bucket is decided
once (row by row only where a clause looks at dates, amounts, lengths or the rest of the item),
and every row of a bucket then scores alike. A block's points for a unit are kept as pieces:
rows that score the same, with how many fall on each date, so that a sum over a period costs a
few multiplications however many rows there are. Item combination (取最高) and multipliers that
look at the item split pieces where they must. Quantities are computed per (unit, period) on
demand and remembered, in the order the compiler's graph allows.

Rows are indices into the ledger's columns (`rows.LedgerRows`): a bucket is a list of indices
with its dates and items copied beside them, and a row's other cells are its bucket's shape.

An explanation needs one Contribution per row and rule. Those are made only when asked for
(`matches`, `matches_of`, `contributions`), from the same pieces, so a plain evaluation pays
nothing for them and a trace shows exactly the numbers the results were computed from.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import cached_property
from itertools import accumulate, compress, filterfalse, repeat
from operator import attrgetter, eq, ge, gt, itemgetter, le, not_

from govrule.compiler import ir
from govrule.compiler.lower import Plan

from .grouping import buckets
from .rows import LedgerRows, Row, Shape
from .periods import Span as PeriodSpan
from .periods import subdivide

Value = Fraction | bool | None
ZERO = Fraction(0)
ONE = Fraction(1)

# what a row pattern can see of a Row without its dates, amounts or item (a Shape's names)
_NAMES = attrgetter("unit", "event", "level", "publication", "form", "category", "tags")
_SLOT = 1 << 32          # _combine_items packs (turn, position) into one int: turn * _SLOT + position
_COUNT = attrgetter("count")
_NO_LENGTH = {None: -1}   # a blank 字数 compares as shorter than any length a pattern asks for


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


@dataclass(slots=True, eq=False)
class _Rows:
    """Row indices, in ledger order. Their dates and items are read from the ledger's columns
    when asked for: a plain sum needs only how many rows fall on each day, which a whole bucket
    is given at once (see _bucket), and item codes matter only to item-level rules.
    What is derived from them is remembered."""
    indices: list[int]
    ledger: LedgerRows
    whole: bool = False                   # a whole bucket, which lives as long as the evaluation
    _dates: Sequence[date] | None = None
    _items: Sequence[str] | None = None
    _days: tuple | None = None
    _item_set: set | None = None

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def dates(self) -> Sequence[date]:
        if self._dates is None:
            self._dates = _gather(self.ledger.dates, self.indices)
        return self._dates

    @property
    def items(self) -> Sequence[str]:
        """Each row's item, "" for a row without one."""
        if self._items is None:
            self._items = _gather(self.ledger.items, self.indices)
        return self._items

    def where(self, mask: list[bool]) -> "_Rows":
        """The rows whose mask is true, in the same order."""
        dates = None if self._dates is None else list(compress(self._dates, mask))
        items = None if self._items is None else list(compress(self._items, mask))
        return _Rows(list(compress(self.indices, mask)), self.ledger, _dates=dates, _items=items)

    def split(self, mask: list[bool] | None) -> tuple["_Rows", "_Rows"]:
        """(the rows whose mask is true, the others); None means all true. A side with every row
        is this object itself, which keeps what it remembers and whether it is a whole bucket."""
        if mask is None or all(mask):
            return self, _Rows([], self.ledger)
        if not any(mask):
            return _Rows([], self.ledger), self
        return self.where(mask), self.where(list(map(not_, mask)))

    def days(self) -> tuple[list[date], list[int]]:
        """The distinct dates, sorted, and running counts (running[i] rows fall before dates[i]),
        so that the rows in any period are two bisections away."""
        if self._days is None:
            self._days = _running(Counter(self.dates))
        return self._days

    def item_set(self) -> set:
        """The items ("" among them for rows without one)."""
        if self._item_set is None:
            self._item_set = set(self.items)
        return self._item_set

    def items_to_merge(self) -> Collection[str]:
        """The items, to merge into a set: the set when one is remembered (sets merge faster), else
        the items as gathered (making a set of them first would cost as much again)."""
        return self.items if self._item_set is None else self._item_set


@dataclass(slots=True)
class _Run:
    """The rows of one bucket that one clause matches: all of them get the same base."""
    block: int                # index in policy.blocks
    index: int                # the clause's index in its block
    clause: ir.Clause
    zeroed: bool
    names: tuple              # the bucket's _NAMES
    rows: _Rows
    base: Fraction            # before shares (基础分的10%) and escalation are filled in per unit


@dataclass(slots=True)
class _Piece:
    """Rows of one run that end up scoring the same: the same base, kept or dropped alike, the same multipliers."""
    run: _Run
    rows: _Rows
    base: Fraction
    kept: bool = True
    multipliers: tuple = ()
    factor: Fraction = ONE
    points: Fraction = ZERO   # base × factor, set once the factor is known


@dataclass(slots=True)
class _Score:
    """A block for one unit: its row pieces, their points by date, and the condition and cap contributions."""
    pieces: list[_Piece]
    dated: list[tuple]        # the kept pieces' points by date, see _dated
    extras: list[Contribution]


class Evaluation:
    """The results of one plan over one ledger."""

    def __init__(self, plan: Plan, ledger: LedgerRows | list[Row], period: PeriodSpan,
                 parameters: dict[str, Fraction] | None = None) -> None:
        self.plan = plan
        self.parameters = parameters or {}      # --param overrides
        self.policy = plan.policy
        self.period = period
        self.ledger = ledger if isinstance(ledger, LedgerRows) else LedgerRows.of(ledger)
        self.notices: list[str] = []            # rows scored, but not as written (分值 over its cap)
        self._cache: dict[tuple, Value] = {}
        self._names_memo: dict[int, dict[tuple, bool]] = defaultdict(dict)   # id(pattern) -> names -> match
        self._with_items: dict[int, set] = {}              # id(pattern) -> items with a matching row
        self._counts: dict[int, dict[str, list]] = {}      # id(pattern) -> unit -> _dated occurrences
        self._choices: dict[tuple, tuple] = {}             # names -> chosen clauses, for static events
        self._scores: dict[tuple[str, str], _Score] = {}
        self._contributions: dict[tuple[str, str], list[Contribution]] = {}
        self._matches: dict[str, list[Contribution]] | None = None
        self._matches_of: dict[tuple[str, str], list[Contribution]] | None = None
        self._contribution_of: dict[tuple, Contribution] = {}   # (index, block, clause) -> its match
        self._buckets = _bucket(self.ledger)               # (shape, rows) pairs
        self._runs: dict[tuple[str, str], list[_Run]] = defaultdict(list)   # (block, unit) -> runs
        self._match_rows()

    # ------------------------------------------------------------ rows as objects, for explanations

    @cached_property
    def rows(self) -> list[Row]:
        """Every row as a Row, in ledger order (made only when asked for)."""
        return list(self.ledger)

    @cached_property
    def rows_by_unit(self) -> dict[str, list[Row]]:
        found: dict[str, list[Row]] = defaultdict(list)
        for row in self.rows:
            found[row.unit].append(row)
        return found

    @cached_property
    def rows_by_item(self) -> dict[str, list[Row]]:
        found: dict[str, list[Row]] = defaultdict(list)
        for row in self.rows:
            if row.item:
                found[row.item].append(row)
        return found

    @cached_property
    def rows_by_event(self) -> dict[tuple[str, str], list[Row]]:
        """(unit, event) -> rows."""
        found: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for row in self.rows:
            found[row.unit, row.event].append(row)
        return found

    # ------------------------------------------------------------ rows -> clauses

    def _match_rows(self) -> None:
        """Each bucket to the clauses of its event: once per bucket for an event whose clauses look
        at names only, else row by row. Reviewed rows (按分值计分) get their notices here, in ledger order."""
        dispatch, static = self.plan.dispatch, self.plan.static_events
        blocks = self.policy.blocks
        noticed: list[tuple[int, str]] = []
        for shape, rows in self._buckets:
            names = shape.names
            candidates = dispatch.get(shape.event)
            if not candidates:
                continue
            if shape.event in static:
                groups = {self._static_choice(candidates, names, rows.indices[0]): rows}
            else:
                groups = self._choices_by_row(candidates, names, rows)
            for chosen, members in groups.items():
                for b, c, zeroed in chosen:
                    clause = blocks[b].clauses[c]
                    base = ZERO if zeroed else self._row_base(clause, shape)
                    self._runs[blocks[b].name, shape.unit].append(_Run(b, c, clause, zeroed, names, members, base))
                    text = None if zeroed or not clause.reviewed else self._points_notice(clause, shape)
                    if text is not None:
                        noticed += [(i, f"{self.ledger.place(i)}:分值: {text}") for i in members.indices]
        if noticed:       # in ledger order; the sort is stable, so a row's clauses keep their order
            noticed.sort(key=lambda pair: pair[0])
            self.notices += [text for _, text in noticed]

    def _static_choice(self, candidates, names: tuple, index: int) -> tuple:
        chosen = self._choices.get(names)
        if chosen is None:
            chosen = self._choices[names] = self._choose(candidates, names, index)
        return chosen

    def _choices_by_row(self, candidates, names: tuple, rows: _Rows) -> dict[tuple, _Rows]:
        """A bucket split by what each of its rows is chosen for (an event whose clauses look past
        names). Each pattern the bucket's names allow is asked of the whole bucket at once (a mask);
        rows that answer every pattern alike are chosen for alike, decided once."""
        blocks = self.policy.blocks
        allowed = {}            # id -> pattern: the clauses' and exceptions' patterns these names match
        for b, c in candidates:
            clause = blocks[b].clauses[c]
            for pattern in (clause.pattern, *clause.exceptions):
                if self._names_match(pattern, names):
                    allowed.setdefault(id(pattern), pattern)
        masks = {key: self._mask(pattern, rows) for key, pattern in allowed.items()}
        asked = [key for key, mask in masks.items() if mask is not None]
        answers = list(zip(*(masks[key] for key in asked))) if asked else [()] * len(rows)
        by_names = dict.fromkeys(allowed, True)        # a pattern without a mask matches every row
        chosen_for = {answer: self._choose_by(candidates, {**by_names, **dict(zip(asked, answer))})
                      for answer in set(answers)}
        if len(set(chosen_for.values())) == 1:
            return {chosen: rows for chosen in chosen_for.values()}
        groups: dict[tuple, list[int]] = defaultdict(list)
        for index, answer in zip(rows.indices, answers):
            groups[chosen_for[answer]].append(index)
        return {chosen: _Rows(members, self.ledger) for chosen, members in groups.items()}

    def _choose(self, candidates, names: tuple, index: int) -> tuple[tuple[int, int, bool], ...]:
        """The clauses that score a row, one per block under 取最具体, as (block, clause, zeroed by an exception)."""
        blocks = self.policy.blocks
        found = {id(p): self._match(p, names, index) for b, c in candidates
                 for p in (blocks[b].clauses[c].pattern, *blocks[b].clauses[c].exceptions)}
        return self._choose_by(candidates, found)

    def _choose_by(self, candidates, matched: dict[int, bool]) -> tuple[tuple[int, int, bool], ...]:
        """_choose, given whether a row matches each pattern (by id; a pattern not given does not match)."""
        blocks = self.policy.blocks
        by_block: dict[int, list[int]] = {}
        for b, c in candidates:
            if matched.get(id(blocks[b].clauses[c].pattern), False):
                by_block.setdefault(b, []).append(c)
        chosen = []
        for b, found in by_block.items():
            clauses = blocks[b].clauses
            if blocks[b].row_mode == "most_specific":
                found = [max(found, key=lambda c: clauses[c].pattern.specificity)]
            for c in found:
                chosen.append((b, c, any(matched.get(id(e), False) for e in clauses[c].exceptions)))
        return tuple(chosen)

    def _row_choice(self, index: int) -> tuple:
        shape = self.ledger.shapes[index]
        candidates = self.plan.dispatch.get(shape.event)
        if not candidates:
            return ()
        if shape.event in self.plan.static_events:
            return self._static_choice(candidates, shape.names, index)
        return self._choose(candidates, shape.names, index)

    def occurrences(self, row: Row | Shape) -> Fraction:
        return row.count if self.plan.events[row.event].counts else ONE

    def _row_base(self, clause: ir.Clause, shape: Shape) -> Fraction:
        """A row's points under a clause, before item combination, escalation and multipliers.
        A share of a unit quantity (基础分的10%) is filled in later, per unit."""
        if clause.share_of is not None:
            return ZERO
        if clause.reviewed:
            value = ZERO if shape.points is None else shape.points
            base = value * self.occurrences(shape) * clause.points
        else:
            base = clause.points * self.occurrences(shape)
        if clause.row_cap is not None and abs(base) > clause.row_cap:
            base = clause.row_cap if base > 0 else -clause.row_cap
        return base

    def _points_notice(self, clause: ir.Clause, shape: Shape) -> str | None:
        """Why reviewed rows (按分值计分) do not score their 分值 as written, if they do not."""
        if clause.share_of is not None:
            return None
        if shape.points is None:
            return f"「{clause.text}」按分值计分，但这一行没有分值，按0分计"
        if clause.row_cap is not None and shape.points > clause.row_cap:
            cap = number_text(clause.row_cap)
            return f"分值{number_text(shape.points)}超过最高{cap}分，按{cap}分计"
        return None

    # ------------------------------------------------------------ patterns

    def matches_pattern(self, pattern: ir.RowPattern, row: Row) -> bool:
        """Whether a row of this evaluation's ledger (one of `rows`) matches a pattern."""
        if not 0 <= row.index < len(self.ledger) or self.ledger.row(row.index) is not row:
            raise ValueError(f"{row.file}:{row.row} 不是这次计分的台账里的行")
        return self._match(pattern, _NAMES(row), row.index)

    def _match(self, pattern: ir.RowPattern, names: tuple, index: int) -> bool:
        return self._names_match(pattern, names) and self._row_match(pattern, index)

    def _names_match(self, pattern: ir.RowPattern, names: tuple) -> bool:
        memo = self._names_memo[id(pattern)]
        found = memo.get(names)
        if found is None:
            found = memo[names] = _names_match(pattern, names, self.plan.unit_groups)
        return found

    def _row_match(self, pattern: ir.RowPattern, index: int) -> bool:
        """The part of a pattern that names cannot decide (amounts, length, dates, the rest of the
        item), for one row: the bucket-wide mask, asked of that row alone."""
        mask = self._mask(pattern, _Rows([index], self.ledger))
        return mask is None or mask[0]

    def _mask(self, pattern: ir.RowPattern, rows: _Rows) -> list[bool] | None:
        """Which rows (of a bucket whose names match) satisfy the rest of the pattern; None for all.
        Each condition is asked of the whole column at C speed: one map per condition."""
        ledger, masks = self.ledger, []
        if pattern.min_amount is not None:
            counts = map(_COUNT, _gather(ledger.shapes, rows.indices))
            masks.append(map(le, repeat(pattern.min_amount), counts))
        if pattern.min_length is not None:       # a blank 字数 is no length at all
            lengths = _gather(ledger.lengths, rows.indices)
            masks.append(map(le, repeat(pattern.min_length), map(_NO_LENGTH.get, lengths, lengths)))
        if pattern.date_from is not None:
            masks.append(map(le, repeat(pattern.date_from), rows.dates))
        if pattern.date_until is not None:
            masks.append(map(ge, repeat(pattern.date_until), rows.dates))
        for condition in pattern.item_conditions:
            found = map(self._items_with(condition.pattern).__contains__, rows.items)
            masks.append(found if condition.exists else map(not_, found))
        if not masks:
            return None
        return list(masks[0]) if len(masks) == 1 else list(map(all, zip(*masks)))

    def _filter(self, pattern: ir.RowPattern, rows: _Rows) -> _Rows:
        """The rows (of a bucket whose names match) that satisfy the rest of the pattern; the same
        object when all of them do."""
        mask = self._mask(pattern, rows)
        return rows if mask is None or all(mask) else rows.where(mask)

    def _matching(self, pattern: ir.RowPattern):
        """(names, rows) for every bucket with rows that match the pattern."""
        for shape, rows in self._buckets:
            if self._names_match(pattern, shape.names):
                rows = self._filter(pattern, rows)
                if rows:
                    yield shape.names, rows

    def _items_with(self, pattern: ir.RowPattern) -> set[str]:
        """Every item that has a row matching the pattern (never None or empty)."""
        found = self._with_items.get(id(pattern))
        if found is None:
            found = set()
            for _, rows in self._matching(pattern):
                found.update(rows.items_to_merge())
            found.discard("")
            self._with_items[id(pattern)] = found
        return found

    def _items_where(self, pattern: ir.RowPattern, rows: _Rows) -> set:
        """The items of the rows (of a bucket whose names match) that satisfy the rest of the pattern;
        where only the item decides, by set algebra on the bucket's items."""
        if not _by_item(pattern):
            return self._filter(pattern, rows).item_set()
        found = rows.item_set()             # remembered by the rows: never changed in place
        for condition in pattern.item_conditions:
            if condition.exists:
                found = found & self._items_with(condition.pattern)   # costs the smaller of the two
            else:
                found = found - self._items_with(condition.pattern)
        return found

    def item_has(self, row: Row, pattern: ir.RowPattern) -> bool:
        return bool(row.item) and row.item in self._items_with(pattern)

    def evidence(self, row: Row, pattern: ir.RowPattern) -> list[Row]:
        """The rows of the item that satisfy a multiplier's condition."""
        found = []
        for condition in pattern.item_conditions:
            if condition.exists and row.item:
                found += [o for o in self.rows_by_item[row.item] if self.matches_pattern(condition.pattern, o)]
        return found

    # ------------------------------------------------------------ blocks

    def block_value(self, block_name: str, unit: str, period: PeriodSpan) -> Fraction:
        score = self._score(block_name, unit)
        total = _total(score.dated, period)
        for c in score.extras:
            if period.start <= c.when <= period.end:
                total += c.points
        return total

    def _score(self, block_name: str, unit: str) -> _Score:
        key = (block_name, unit)
        score = self._scores.get(key)
        if score is None:
            score = self._scores[key] = self._compute_score(self.plan.blocks[block_name], unit)
            if self._matches is not None:
                self._apply(score)
        return score

    def _compute_score(self, block: ir.Block, unit: str) -> _Score:
        """A block for a unit over the whole period: bases (with shares and escalation), item
        combination, multipliers; then its conditions and caps."""
        pieces = self._bases(block, self._runs.get((block.name, unit), ()), unit)
        if block.item_mode in ("max", "once"):
            pieces = self._combine_items(block, pieces)
        if block.multipliers:
            pieces = [part for piece in pieces for part in self._multiply(block, piece)]
        for piece in pieces:
            piece.points = piece.base * piece.factor
        dated = _dated((p.points, p.rows) for p in pieces if p.kept and p.points)
        return _Score(pieces, dated, self._conditions_and_caps(block, unit, pieces))

    def _bases(self, block: ir.Block, runs, unit: str) -> list[_Piece]:
        """One piece per run, with its base; escalated clauses split theirs by occurrence."""
        escalated = {id(clause): self._escalate(clause, [r for r in runs if r.clause is clause and not r.zeroed])
                     for clause in block.clauses if clause.later_points is not None}
        shares: dict[int, Value] = {}
        pieces = []
        for run in runs:
            clause = run.clause
            if run.zeroed:
                pieces.append(_Piece(run, run.rows, run.base))
            elif clause.share_of is not None:
                # 加基础分的10%: the clause's share of a quantity of the unit over the whole period
                if id(clause) not in shares:
                    shares[id(clause)] = self.value(clause.share_of, unit, self.period)
                whole = shares[id(clause)]
                base = clause.points * whole * self.occurrences(self.ledger.shapes[run.rows.indices[0]]) if whole is not None else ZERO
                pieces.append(_Piece(run, run.rows, base))
            elif clause.later_points is not None:
                pieces += [_Piece(run, _Rows(rows, self.ledger), base)
                           for base, rows in escalated[id(clause)][id(run)].items()]
            else:
                pieces.append(_Piece(run, run.rows, run.base))
        return pieces

    def _escalate(self, clause: ir.Clause, runs: list[_Run]) -> dict[int, dict[Fraction, list[int]]]:
        """第一次扣10分，第二次起每次扣20分: occurrences counted in date order, then ledger order,
        over the period. Returns id(run) -> base -> row indices."""
        found: dict[int, dict[Fraction, list[int]]] = {id(run): defaultdict(list) for run in runs}
        ordered = sorted((day, index, run) for run in runs for day, index in zip(run.rows.dates, run.rows.indices))
        shapes = self.ledger.shapes
        seen = ZERO
        for _, index, run in ordered:
            times = self.occurrences(shapes[index])
            first = max(ZERO, min(times, 1 - seen))
            found[id(run)][clause.points * first + clause.later_points * (times - first)].append(index)
            seen += times
        return found

    def _combine_items(self, block: ir.Block, pieces: list[_Piece]) -> list[_Piece]:
        """取最高 (max): an item keeps its highest base, the earliest row on a tie; 只计一次 (once): its
        earliest row (by date, then ledger order). A row without an item is an item of its own.
        Pieces split into kept and dropped. This loop sees every matched row, so it claims an
        item with a plain int: turn * _SLOT + position, where pieces take turns by level."""
        if block.item_mode == "max":       # highest base first, so that a later piece can win only a tie
            levels = {base: i for i, base in enumerate(sorted({p.base for p in pieces}))}
            level = [levels[p.base] for p in pieces]
            order = sorted(range(len(pieces)), key=level.__getitem__, reverse=True)
        else:
            level = [0] * len(pieces)
            order = list(range(len(pieces)))
        level_start, start = [], 0         # per turn, the first turn of its level: claims since then can tie
        for turn, i in enumerate(order):
            if turn and level[i] != level[order[turn - 1]]:
                start = turn
            level_start.append(start)
        best: dict[object, int] = {}       # item -> turn * _SLOT + position of the row that wins it
        claim = best.setdefault
        dates = self.ledger.dates
        won_in: list = [None] * len(pieces)     # per piece, whether each of its rows holds its item
        for turn, i in enumerate(order):
            rows = pieces[i].rows
            keys = rows.items
            if "" in keys:
                keys = [item or ~index for item, index in zip(keys, rows.indices)]
            entries = range(turn * _SLOT, turn * _SLOT + len(keys))
            claimed = list(map(claim, keys, entries))              # claims in one C-level pass
            won = won_in[i] = list(map(eq, claimed, entries))
            # an item claimed before at the same level (a tie) is taken over by an earlier row; one
            # claimed at a higher level stays where it is
            tied = map(gt, map(ge, claimed, repeat(level_start[turn] * _SLOT)), won)
            for position in compress(range(len(keys)), tied):
                key = keys[position]
                holder = best[key]
                other = pieces[order[holder // _SLOT]].rows
                mine, theirs = rows.indices[position], other.indices[holder % _SLOT]
                if (dates[mine], mine) < (dates[theirs], theirs):
                    best[key] = turn * _SLOT + position
                    won[position] = True
                    won_in[order[holder // _SLOT]][holder % _SLOT] = False
        combined = []
        for piece, won in zip(pieces, won_in):
            kept, dropped = piece.rows.split(won)
            if kept:
                combined.append(_Piece(piece.run, kept, piece.base))
            if dropped:
                combined.append(_Piece(piece.run, dropped, piece.base, kept=False))
        return combined

    def _multiply(self, block: ir.Block, piece: _Piece) -> list[_Piece]:
        """A kept piece split by which multipliers apply to its rows (names decide most of them at once)."""
        if not piece.kept:
            return [piece]
        groups: list[tuple[frozenset, _Rows]] = [(frozenset(), piece.rows)]
        for m in block.multipliers:
            if not self._names_match(m.pattern, piece.run.names):
                continue
            split = []
            for applied, rows in groups:
                hit, missed = rows.split(self._mask(m.pattern, rows))
                if hit:
                    split.append((applied | {id(m)}, hit))
                if missed:
                    split.append((applied, missed))
            groups = split
        parts = []
        for applied, rows in groups:
            multipliers = tuple(m for m in block.multipliers if id(m) in applied)
            if not multipliers:
                parts.append(_Piece(piece.run, rows, piece.base))
                continue
            if block.stacking == "add":
                factor = 1 + sum((m.factor - 1 for m in multipliers), ZERO)
            else:
                factor = ONE
                for m in multipliers:
                    factor *= m.factor
            parts.append(_Piece(piece.run, rows, piece.base, True, multipliers, factor))
        return parts

    def _conditions_and_caps(self, block: ir.Block, unit: str, pieces: list[_Piece]) -> list[Contribution]:
        """Points a condition gives per period, then the adjustments of the clauses', conditions' and
        block's caps, each dated at the period's end."""
        extras = []
        for condition in block.conditions:
            for period in subdivide(self.period, condition.grain):
                if _truthy(self.value(condition.expr, unit, period)):
                    points = condition.points
                    if condition.per_gap:
                        gap = abs(self.value(condition.expr.left, unit, period)
                                  - self.value(condition.expr.right, unit, period))
                        points = condition.points * gap
                    extras.append(Contribution(block.name, points, points, Fraction(1),
                                               period.end, None, condition))
        for rule in (*block.clauses, *block.conditions):
            if rule.total_cap is not None:
                total = sum((p.points * len(p.rows) for p in pieces if p.run.clause is rule and p.kept), ZERO)
                total += sum((c.points for c in extras if c.rule is rule), ZERO)
                self._cap(block, total, rule.total_cap, extras)
        if block.cap is not None:
            total = sum((p.points * len(p.rows) for p in pieces if p.kept), ZERO)
            self._cap(block, total + sum((c.points for c in extras), ZERO), block.cap, extras)
        return extras

    def _cap(self, block: ir.Block, total: Fraction, cap: ir.Cap, extras: list[Contribution]) -> None:
        """Where the total exceeds the cap, add one adjustment dated at the period's end; its base
        is the value before the cap, so that the trace shows both."""
        bound = cap.bound(total)
        if bound != total:
            extras.append(Contribution(block.name, bound - total, total, Fraction(1), self.period.end, None, cap))

    # ------------------------------------------------------------ one Contribution per row, for explanations

    @property
    def matches(self) -> dict[str, list[Contribution]]:
        """block -> every row's match, in ledger order."""
        if self._matches is None:
            self._materialize()
        return self._matches

    @property
    def matches_of(self) -> dict[tuple[str, str], list[Contribution]]:
        """(block, unit) -> the unit's matches, in ledger order."""
        if self._matches_of is None:
            self._materialize()
        return self._matches_of

    def contributions(self, block_name: str, unit: str) -> list[Contribution]:
        """Every contribution of a block for a unit over the whole period, combined per item
        and multiplied; dropped ones are kept with kept=False for the trace."""
        key = (block_name, unit)
        if key not in self._contributions:
            score = self._score(block_name, unit)
            self._contributions[key] = [*self.matches_of.get(key, ()), *score.extras]
        return self._contributions[key]

    def _materialize(self) -> None:
        """A Contribution per row and clause, as matched; blocks already scored get their outcome
        written in now, the others when they are scored."""
        blocks = self.policy.blocks
        self._matches = {b.name: [] for b in blocks}
        self._matches_of = defaultdict(list)
        for row in self.rows:
            for b, c, zeroed in self._row_choice(row.index):
                clause = blocks[b].clauses[c]
                base = ZERO if zeroed else self._row_base(clause, self.ledger.shapes[row.index])
                match = Contribution(blocks[b].name, base, base, ONE, row.date, row, clause, (), zeroed)
                self._matches[match.block].append(match)
                self._matches_of[match.block, row.unit].append(match)
                self._contribution_of[row.index, b, c] = match
        for score in self._scores.values():
            self._apply(score)

    def _apply(self, score: _Score) -> None:
        for piece in score.pieces:
            for index in piece.rows.indices:
                match = self._contribution_of[index, piece.run.block, piece.run.index]
                match.base, match.points, match.factor = piece.base, piece.points, piece.factor
                match.multipliers, match.kept = piece.multipliers, piece.kept

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
            return self.item_count(expr.block, unit, period)
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
        """条数（…）: the unit's occurrences of rows matching the pattern in the period."""
        counts = self._counts.get(id(pattern))
        if counts is None:
            by_unit: dict[str, list[tuple[Fraction, _Rows]]] = defaultdict(list)
            for names, rows in self._matching(pattern):
                by_unit[names[0]].append((self.occurrences(self.ledger.shapes[rows.indices[0]]), rows))
            counts = self._counts[id(pattern)] = {u: _dated(found) for u, found in by_unit.items()}
        return _total(counts.get(unit, ()), period)

    def item_count(self, block_name: str, unit: str, period: PeriodSpan) -> Fraction:
        """信息数（…）: the items (a row without one counts alone) with a match in the period that no
        exception zeroed, whether or not item combination kept it."""
        items: set = set()
        for run in self._runs.get((block_name, unit), ()):
            if run.zeroed:
                continue
            rows = run.rows
            dates = rows.days()[0]
            if period.start <= dates[0] and dates[-1] <= period.end:      # all of the run: its items at once
                items |= rows.item_set()
            else:
                items.update(item for item, day in zip(rows.items, rows.dates) if period.start <= day <= period.end)
            if "" in items:
                items.discard("")
                items.update(~index for index, item, day in zip(rows.indices, rows.items, rows.dates)
                             if not item and period.start <= day <= period.end)
        return Fraction(len(items))

    def rows_of(self, unit: str, pattern: ir.RowPattern) -> list[Row]:
        """The unit's rows of the pattern's events (all its rows when the pattern names none)."""
        if not pattern.events:
            return self.rows_by_unit.get(unit, [])
        return [r for e in pattern.events for r in self.rows_by_event.get((unit, e), ())]

    def unrecognized(self) -> set[int]:
        """The index of every row the policy does not use. A row is used when a clause matches it (even
        where an exception zeroes it or 取最高 drops it), a 条数 anywhere in the policy counts it, or
        it is evidence that made a rule apply. Taken over the whole plan, so it does not depend on
        which branches ran; usually far smaller than the used rows, since most buckets are used whole."""
        whole: set[int] = set()       # id() of buckets all of whose rows are used
        used: set[int] = set()        # indices of rows used from the other buckets
        evidence: dict[int, tuple[ir.RowPattern, set]] = {}    # id(pattern) -> (pattern, items it is evidence for)

        def use(rows: _Rows) -> None:
            if rows.whole:
                whole.add(id(rows))
            else:
                used.update(rows.indices)

        def cite(pattern: ir.RowPattern, items: set) -> None:
            """The rows of these items that match the pattern's 有…的 conditions made it apply: evidence."""
            for condition in pattern.item_conditions:
                if condition.exists:
                    evidence.setdefault(id(condition.pattern), (condition.pattern, set()))[1].update(items)

        for (block_name, _), runs in self._runs.items():
            multipliers = [m for m in self.plan.blocks[block_name].multipliers if _cites(m.pattern)]
            for run in runs:
                use(run.rows)
                if _cites(run.clause.pattern):
                    cite(run.clause.pattern, run.rows.item_set())
                for m in multipliers:            # the rows are used already; a multiplier adds evidence
                    if self._names_match(m.pattern, run.names):
                        cite(m.pattern, self._items_where(m.pattern, run.rows))
        for pattern in self.plan.count_patterns:
            for _, rows in self._matching(pattern):
                use(rows)
                if _cites(pattern):
                    cite(pattern, rows.item_set())
        for pattern, items in evidence.values():
            items.discard("")
            for _, rows in self._matching(pattern):
                if id(rows) not in whole:         # a bucket used whole already needs no looking into
                    use(rows.where(list(map(items.__contains__, rows.items))))
        unused: set[int] = set()
        for _, rows in self._buckets:
            if id(rows) not in whole:
                unused.update(filterfalse(used.__contains__, rows.indices))
        return unused

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


def _gather(column: list, indices: list[int]) -> Sequence:
    """column[i] for each index, in order. An itemgetter's own loop gathers scattered cells in about
    two thirds of the time a map over __getitem__ takes (one of them alone comes back bare)."""
    if len(indices) < 2:
        return [column[i] for i in indices]
    return itemgetter(*indices)(column)


def _bucket(ledger: LedgerRows) -> list[tuple[Shape, _Rows]]:
    """Rows by shape: everything a clause can tell apart without dates, lengths or items. The
    reader makes one Shape per distinct combination of cells, so equal shapes are nearly always
    one object; two equal ones only make two buckets. Each bucket keeps its rows in ledger order,
    and is given its days as they were counted when its rows were grouped (grouping)."""
    return [(shape, _Rows(indices, ledger, whole=True, _days=_running(days)))
            for shape, indices, days in buckets(ledger)]


def _running(counts: dict[date, int]) -> tuple[list[date], list[int]]:
    """Dates sorted, with running counts: running[i] rows fall before dates[i]."""
    dates = sorted(counts)
    return dates, [0, *accumulate(counts[d] for d in dates)]


def _names_match(pattern: ir.RowPattern, names: tuple, unit_groups: dict[str, ir.Group]) -> bool:
    unit, event, level, publication, form, category, tags = names
    if pattern.events and event not in pattern.events:
        return False
    if pattern.levels and level not in pattern.levels:
        return False
    if pattern.publications and publication not in pattern.publications:
        return False
    if pattern.forms and form not in pattern.forms:
        return False
    if pattern.not_forms and form in pattern.not_forms:
        return False
    if pattern.categories and category not in pattern.categories:
        return False
    if pattern.not_categories and category in pattern.not_categories:
        return False
    if pattern.tags and not (tags & pattern.tags):
        return False
    if pattern.not_tags and tags & pattern.not_tags:
        return False
    if pattern.groups and unit_groups[unit].name not in pattern.groups:
        return False
    return True


def _by_item(pattern: ir.RowPattern) -> bool:
    """Whether, beyond names, only the item (有…的) decides whether a row matches."""
    return (pattern.min_amount is None and pattern.min_length is None
            and pattern.date_from is None and pattern.date_until is None)


def _cites(pattern: ir.RowPattern) -> bool:
    """Whether rows of a pattern bring other rows of their item in as evidence (有…的)."""
    return any(condition.exists for condition in pattern.item_conditions)


def _dated(entries) -> list[tuple[Fraction, list[tuple]]]:
    """(amount, rows) entries as amount -> the rows' days (see _Rows.days), so that a sum over a
    period counts rows with bisections and multiplies once per distinct amount."""
    by_amount: dict[Fraction, list[tuple]] = defaultdict(list)
    for amount, rows in entries:
        by_amount[amount].append(rows.days())
    return list(by_amount.items())


def _total(dated, period: PeriodSpan) -> Fraction:
    """The sum of a _dated over a period: each amount times the number of its rows in the period."""
    start, end = period.start, period.end
    total = ZERO
    for amount, tallies in dated:
        n = 0
        for dates, running in tallies:
            n += running[bisect_right(dates, end)] - running[bisect_left(dates, start)]
        if n:
            total += amount * n
    return total
