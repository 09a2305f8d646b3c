"""What an item carries (ledger.md): 类别, 标记 and 字数 go from an item's first 报送 row to its
other rows where those are blank, and a row whose unit differs from its 报送 row's is noticed.

The ledger is linked a batch at a time, while the batch's cells are still in the processor's
cache: half a ledger can be adoptions and instructions. An item's first 报送 row is known for
good once it has been read, so a row whose 报送 row is read already is settled at once; the
others wait for the end of the ledger, where 报送 rows dated outside the period count too.
What a row takes depends only on its shape and its 报送 row's shape: decided once per pair.
Nothing here makes an object per row that the garbage collector would have to scan.
"""
from __future__ import annotations

import operator
from collections import deque
from fractions import Fraction
from itertools import compress, repeat

from .cells import Memo
from .rows import LedgerRows, Shape

_FIRST = operator.itemgetter(0)
ONE = Fraction(1)


class ItemLinks:
    def __init__(self, submitting: set[Shape]) -> None:
        self.submitting = submitting                   # the shapes of 报送 rows, as the reader makes them
        self.first: dict[str, tuple] = {}              # item -> its first 报送 row's (_Taker of its shape, 字数)
        self.derived: dict[tuple, Shape] = {}
        derived = self.derived          # not self: a cycle would keep every row's entry alive for the collector
        self.takers = Memo(lambda source: _Taker(source, derived))   # 报送 shape -> its _Taker
        self.outside_shapes: dict[tuple, Shape] = {}   # (unit, 类别, 标记) of 报送 rows outside the period
        self.waiting: list[int] = []                   # rows whose 报送 row was not read yet
        self.mismatched: list[tuple[int, str]] = []    # (row, the 报送 row's unit)

    def batch(self, start: int, shapes: list, items: list, lengths: list) -> None:
        """Settle a batch's rows (about to be appended at index `start`), changing its columns in place."""
        is_submit = list(map(self.submitting.__contains__, shapes))
        positions = range(len(shapes))
        if any(is_submit):      # setdefault: an item's first 报送 row stays its source
            submitted = list(compress(positions, is_submit))
            sources = zip(map(self.takers.__getitem__, map(shapes.__getitem__, submitted)),
                          map(lengths.__getitem__, submitted))
            deque(map(self.first.setdefault, map(items.__getitem__, submitted), sources), maxlen=0)
        others = list(compress(positions, map(operator.not_, is_submit)))
        sources = list(map(self.first.get, map(items.__getitem__, others)))
        found = list(map(operator.is_not, sources, repeat(None)))
        settled = list(compress(others, found))
        sources = list(compress(sources, found))
        taken = list(map(dict.__getitem__, map(_FIRST, sources), map(shapes.__getitem__, settled)))
        for position, shape, (taker, length) in zip(settled, taken, sources):   # the hot loop: kept bare
            shapes[position] = shape
            if lengths[position] is None:
                lengths[position] = length
            if shape.unit != taker.unit:
                self.mismatched.append((start + position, taker.unit))
        self.waiting += [start + p for p in compress(others, map(operator.not_, found)) if items[p]]

    def finish(self, rows: LedgerRows, outside: dict, notices: list[str]) -> None:
        """Settle the rows still waiting (an item with no 报送 row in the period takes its outside
        one), and write the notices in ledger order."""
        for index in self.waiting:
            item = rows.items[index]
            source = self.first.get(item)
            if source is None and item in outside:
                unit, category, tags, length = outside[item]
                source = self.takers[self._outside_shape(unit, category, tags)], length
            if source is not None:
                taker, length = source
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
