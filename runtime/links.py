"""What an item carries (ledger.md): 类别, 标记 and 字数 go from an item's first 报送 row to its
other rows where those are blank, and a row whose unit differs from its 报送 row's is noticed.

Linking has two halves. Finding is the costly one: a dict of every item's first 报送 row, and a
lookup per other row. Applying is cheap: what a row takes depends only on its shape and its 报送
row's shape, decided once per pair. The reader links a batch at a time, while its cells are still
in the processor's cache. A part of the ledger read in another process finds its own links
(`PartLinks`); the parent applies them, correcting the few that an earlier part decides.

An item's first 报送 row is known for good once it has been read, so a row whose 报送 row is read
already is settled at once; the others wait for the end of the ledger, where 报送 rows dated
outside the period count too. Nothing here makes an object per row that the garbage collector
would have to scan.
"""
from __future__ import annotations

import operator
from array import array
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import compress, filterfalse, islice, repeat

from .cells import Memo
from .rows import LedgerRows, Shape

ONE = Fraction(1)


def _find(first: dict, submitting: set, rows: LedgerRows, start: int) -> tuple[list, list, list]:
    """Register the 报送 rows from index `start` on in `first` (item -> index of its first 报送 row,
    kept: setdefault), and find the other rows' sources. Returns (settled rows, their sources,
    rows with an item whose 报送 row is not read yet), as ledger indices."""
    shapes, items = rows.shapes[start:], rows.items[start:]
    is_submit = list(map(submitting.__contains__, shapes))
    indices = range(start, start + len(shapes))
    if any(is_submit):
        deque(map(first.setdefault, compress(items, is_submit), compress(indices, is_submit)), maxlen=0)
    is_other = list(map(operator.not_, is_submit))
    others, other_items = list(compress(indices, is_other)), list(compress(items, is_other))
    sources = list(map(first.get, other_items))
    found = list(map(operator.is_not, sources, repeat(None)))
    missing = list(map(operator.not_, found))
    waiting = list(compress(compress(others, missing), compress(other_items, missing)))
    return list(compress(others, found)), list(compress(sources, found)), waiting


def _items_dict() -> dict:
    """An empty item -> row dict, made for speed: it holds one key that is not a str (None -> -1,
    left out of its values by `_firsts`; it stays first, since nothing is taken out of these
    dicts). CPython keeps a dict whose keys are all str without their hashes, and reads other
    keys' strings to tell them apart, each a cache miss in a big dict; with the hashes kept beside
    the keys, 236,000 scattered item codes are registered in two thirds of the time."""
    return {None: -1}


def _firsts(first: dict) -> array:
    """The rows an _items_dict holds, without its first key's."""
    return array("i", islice(first.values(), 1, None))


def _takers(derived: dict) -> Memo:
    """报送 shape -> its _Taker, each deriving its shapes into `derived` (shared, so that equal
    derived shapes are one object)."""
    return Memo(lambda source: _Taker(source, derived))


class PartLinks:
    """The links of a part read in another process, found there and applied by the parent
    (`ItemLinks.take`): rows are indices into the part, from 0."""

    def __init__(self, submitting: set[Shape]) -> None:
        self.submitting = submitting
        self.first: dict[str, int] = _items_dict()
        self.settled, self.sources, self.waiting = array("i"), array("i"), array("i")

    def batch(self, rows: LedgerRows, start: int) -> None:
        settled, sources, waiting = _find(self.first, self.submitting, rows, start)
        self.settled += array("i", settled)
        self.sources += array("i", sources)
        self.waiting += array("i", waiting)

    def linked(self, shapes: list) -> list:
        """The part's shapes as its own links leave them, None for rows still waiting, to group the part
        by (see grouping). The parent, applying the same links, derives the same shapes (_Taker):
        one of its own for each of these."""
        takers = _takers({})
        linked = shapes.copy()
        taken = map(dict.__getitem__, map(takers.__getitem__, map(shapes.__getitem__, self.sources)),
                    map(shapes.__getitem__, self.settled))
        deque(map(linked.__setitem__, self.settled, taken), maxlen=0)
        deque(map(linked.__setitem__, self.waiting, repeat(None)), maxlen=0)
        return linked

    def packed(self) -> tuple:
        """What travels back: settled rows, their sources, waiting rows, and the part's first 报送 rows."""
        return self.settled, self.sources, self.waiting, _firsts(self.first)


class ItemLinks:
    def __init__(self, submitting: set[Shape]) -> None:
        self.submitting = submitting                   # the shapes of 报送 rows, as the reader makes them
        self.first: dict[str, int] = _items_dict()     # item -> index of its first 报送 row
        self.later: list[_Later] = []                  # parts taken in whose first 报送 rows are not in `first` yet
        self.takers = _takers({})                      # 报送 shape -> its _Taker
        self.outside_shapes: dict[tuple, Shape] = {}   # (unit, 类别, 标记) of 报送 rows outside the period
        self.waiting: list[int] = []                   # rows whose 报送 row was not read yet
        self.mismatched: list[tuple[int, str]] = []    # (row, the 报送 row's unit)

    def batch(self, rows: LedgerRows, start: int) -> None:
        """Link the rows appended from index `start` on, changing their shapes and 字数 in place."""
        self._merge_later()
        settled, sources, waiting = _find(self.first, self.submitting, rows, start)
        self._apply(rows.shapes, rows.lengths, settled, sources, 0)
        self.waiting += waiting

    def take(self, part, rows: LedgerRows) -> tuple[list[int], set[int]]:
        """Apply the links a part found (PartLinks.packed) to its own columns, before they are
        appended to the ledger's rows. An item that an earlier part submitted takes that part's
        报送 row instead. Returns the rows to `settle` once the part is appended, and those of them
        the part had linked to a 报送 row of its own (relinked), as ledger indices."""
        self._merge_later()
        start = len(rows)
        settled, sources, waiting, firsts = part.links
        items = part.items
        submitted = list(map(items.__getitem__, firsts))
        again = set(filter(self.first.__contains__, submitted))
        relinked: list[int] = []
        if again:
            keep = [items[i] not in again for i in settled]
            relinked = list(compress(settled, map(operator.not_, keep)))
            settled, sources = list(compress(settled, keep)), list(compress(sources, keep))
        self._apply(part.shapes, part.lengths, settled, sources, start)
        self.later.append(_Later(start, firsts, submitted))
        return sorted(map(start.__add__, [*waiting, *relinked])), set(map(start.__add__, relinked))

    def settle(self, rows: LedgerRows, waiting: list[int]) -> None:
        """Rows a part left waiting: those of an item an earlier part submitted are settled now,
        the others wait for the end."""
        sources = list(map(self.first.get, map(rows.items.__getitem__, waiting)))
        found = list(map(operator.is_not, sources, repeat(None)))
        self._apply(rows.shapes, rows.lengths, list(compress(waiting, found)), list(compress(sources, found)), 0)
        self.waiting += compress(waiting, map(operator.not_, found))

    def unresolved(self, rows: LedgerRows) -> set[str]:
        """The items of the rows still waiting that no 报送 row read so far has: what a part read
        elsewhere is asked to look up (see answered)."""
        return set(filterfalse(self.first.__contains__, map(rows.items.__getitem__, self.waiting)))

    def answered(self, asked: set[str], answers: dict[str, int]) -> None:
        """The part taken last looked up these items itself: where each of those it has was first
        submitted in it. At the end no other code of the part needs looking at for them."""
        self.later[-1].asked, self.later[-1].answers = asked, answers

    def _merge_later(self, wanted: set | None = None) -> None:
        """The first 报送 rows of parts taken before, into `first` (in ledger order: setdefault);
        only those of the `wanted` items when given."""
        if wanted is not None and not wanted:
            self.later.clear()
            return
        for part in self.later:
            if wanted is not None and wanted <= part.asked:
                for item in wanted.intersection(part.answers):
                    self.first.setdefault(item, part.start + part.answers[item])
                continue
            start, firsts, keys = part.start, part.firsts, part.items
            places = map(start.__add__, firsts)
            if wanted is not None:
                keep = list(map(wanted.__contains__, keys))
                keys, places = compress(keys, keep), compress(places, keep)
            deque(map(self.first.setdefault, keys, places), maxlen=0)
        self.later.clear()

    def _apply(self, shapes: list, lengths: list, settled, sources, offset: int) -> None:
        """Each settled row takes from its source (indices into these columns, which start at ledger
        index `offset`)."""
        takers = list(map(self.takers.__getitem__, map(shapes.__getitem__, sources)))
        taken = list(map(dict.__getitem__, takers, map(shapes.__getitem__, settled)))
        mismatched = self.mismatched
        for index, shape, taker, source in zip(settled, taken, takers, sources):   # the hot loop: kept bare
            shapes[index] = shape
            if lengths[index] is None:
                lengths[index] = lengths[source]
            if shape.unit != taker.unit:
                mismatched.append((offset + index, taker.unit))

    def finish(self, rows: LedgerRows, outside: dict, notices: list[str]) -> None:
        """Settle the rows still waiting (an item with no 报送 row in the period takes its outside
        one), and write the notices in ledger order."""
        items = rows.items
        if self.later:          # only the items still waiting are looked for in parts taken last
            self._merge_later(set(filterfalse(self.first.__contains__, map(items.__getitem__, self.waiting))))
        waiting, self.waiting = self.waiting, []
        self.settle(rows, waiting)          # those with a 报送 row in the period, at C speed
        for index in self.waiting:
            item = items[index]
            if item not in outside:
                continue
            unit, category, tags, length = outside[item]
            taker = self.takers[self._outside_shape(unit, category, tags)]
            rows.shapes[index] = taker[rows.shapes[index]]
            if rows.lengths[index] is None:
                rows.lengths[index] = length
            if rows.shapes[index].unit != taker.unit:
                self.mismatched.append((index, taker.unit))
        for index, unit in sorted(self.mismatched):
            notices.append(f"{rows.place(index)}: 信息{rows.items[index]}由「{unit}」报送，"
                           f"这一行写的是「{rows.shapes[index].unit}」；按这一行的单位计分")

    def _outside_shape(self, unit: str, category: str | None, tags: frozenset) -> Shape:
        """The shape of a 报送 row outside the period (rejected, so never made): one per distinct cells."""
        key = (unit, category, tags)
        if key not in self.outside_shapes:
            self.outside_shapes[key] = Shape(unit, None, "报送", None, None, None, category, tags, ONE, None)
        return self.outside_shapes[key]


@dataclass(slots=True)
class _Later:
    """A part taken in whose first 报送 rows are not in ItemLinks.first yet."""
    start: int                # its first row's ledger index
    firsts: array             # its first 报送 rows, counted in the part
    items: list[str]          # their items
    asked: set = field(default_factory=set)        # items the part looked up itself (answered)
    answers: dict = field(default_factory=dict)    # those of them it has -> their first 报送 row in it


class _Taker(dict):
    """For one 报送 row's shape: the shape each other row of its item takes (the blanks it fills)."""

    def __init__(self, source: Shape, derived: dict) -> None:
        super().__init__()
        self.source, self.unit, self.derived = source, source.unit, derived

    def __missing__(self, shape: Shape) -> Shape:
        source = self.source
        category = source.category if shape.category is None else shape.category
        tags = shape.tags or source.tags
        taken = shape
        if category != shape.category or tags != shape.tags:
            taken = _derive(self.derived, shape, category, tags)
        self[shape] = taken
        return taken


def _derive(derived: dict, shape: Shape, category: str | None, tags: frozenset) -> Shape:
    """A row's shape with its blanks filled: one object per distinct result, whichever 报送 shape filled them."""
    key = (shape, category, tags)
    taken = derived.get(key)
    if taken is None:
        taken = derived[key] = Shape(shape.unit, shape.sub_unit, shape.event, shape.level, shape.publication,
                                     shape.form, category, tags, shape.count, shape.points)
    return taken
