"""A ledger's rows grouped by shape: the buckets scoring works on, each shape's rows in ledger
order with how many fall on each day.

Grouping a million rows takes a pass of its own, so a big ledger is grouped a part at a time
as it is read: the parent groups the part it read itself while a child is still reading, and a
child groups its part while the parent takes that part in (a second result, see parallel). Each
part's groups are joined to those before it as soon as they come, while their row numbers are
still in the processor's cache (`Ahead`). At the end (`buckets`) only the rows no part grouped
are grouped: the rows of parts read in one process, and the loose rows, whose shape could still
change when their part was grouped: those whose item's 报送 row was not found yet, and those a
child linked to a 报送 row in its own part while an earlier part had submitted the item first.
"""
from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from itertools import chain

from .rows import LedgerRows, Shape


class Ahead:
    """The rows grouped as they were read: every row before `until` is in a group or loose."""

    def __init__(self) -> None:
        self.groups: dict[Shape, tuple[list[int], dict]] = {}    # shape -> (ledger indices in order, {date: rows})
        self.loose: list = []          # ranges and lists of the ledger indices left out, in order
        self.until = 0

    def add(self, start: int, stop: int, groups, loose: list[int]) -> None:
        """The groups (shape, indices, days) of the rows from `start` to `stop`, all but the `loose`
        ones (in order, within the part). Parts come in ledger order, so that each group's indices
        stay in order; rows between the last part and this one are loose too."""
        self.loose += [range(self.until, start), loose]
        found = self.groups
        for shape, indices, days in groups:
            known = found.get(shape)
            if known is None:
                found[shape] = (indices, days)
                continue
            known[0].extend(indices)
            counts = known[1]
            for day, rows in days.items():
                counts[day] = counts.get(day, 0) + rows
        self.until = stop


def group(shapes: list, dates: list, first: int = 0) -> dict:
    """key -> (indices counted from `first`, {date: rows}) over two columns; rows keyed None are left out."""
    found: dict[object, list[int]] = defaultdict(list)
    for index, shape in enumerate(shapes, first):
        found[shape].append(index)
    days: dict[object, dict] = defaultdict(dict)
    for (shape, day), rows in Counter(zip(shapes, dates)).items():
        days[shape][day] = rows
    found.pop(None, None)
    return {shape: (indices, days[shape]) for shape, indices in found.items()}


def group_ahead(rows: LedgerRows, start: int, loose: list[int]) -> None:
    """Group the rows from `start` to the end as they are now, all but the loose ones (ledger
    indices, in order)."""
    shapes = rows.shapes[start:]
    for index in loose:
        shapes[index - start] = None
    found = group(shapes, rows.dates[start:], start)
    _ahead(rows).add(start, len(rows), ((shape, indices, days) for shape, (indices, days) in found.items()), loose)


def groups_to_send(shapes: list, dates: list, first: int) -> list[tuple[array, dict]]:
    """A part's groups as a child sends them: the ledger indices of each group's rows, as a compact
    array, and its days. The part's first row is taken to be at `first`: a child cannot know how
    many rows the parts before it keep, only how many lines they have, and the parent shifts the
    indices where that was wrong. `shapes` are the part's own, None for rows left loose: the parent
    knows each group's shape by the one it gave the group's first row."""
    return [(array("i", indices), days) for indices, days in group(shapes, dates, first).values()]


def take_ahead(rows: LedgerRows, start: int, first: int, groups: list, loose: list[int], relinked: set[int]) -> None:
    """A child's groups (see `groups_to_send`, which took the part to begin at `first`) for its part, now
    in the ledger from index `start`. `loose` (ledger indices) are the part's rows whose shape was
    not settled when the part was taken in; the child grouped those of them that it had linked to a
    报送 row of its own (`relinked`: an earlier part submitted their item first), and they are taken
    out again."""
    shapes, dates = rows.shapes, rows.dates

    def in_ledger():
        for travelled, days in groups:
            indices = travelled.tolist() if start == first else list(map((start - first).__add__, travelled))
            if relinked and not relinked.isdisjoint(indices):
                indices = [index for index in indices if index not in relinked]
                if not indices:
                    continue
                days = Counter(map(dates.__getitem__, indices))
            yield shapes[indices[0]], indices, days

    _ahead(rows).add(start, len(rows), in_ledger(), loose)


def buckets(rows: LedgerRows) -> list[tuple[Shape, list[int], dict]]:
    """Every shape's rows in ledger order and how many fall on each day, in the order of each
    shape's first row: those grouped ahead, with the other rows grouped here."""
    ahead = rows.ahead
    if ahead is None:
        return [(shape, indices, days) for shape, (indices, days) in group(rows.shapes, rows.dates).items()]
    found = dict(ahead.groups)        # the lists grouped ahead are shared, never changed here
    rest = list(chain(*ahead.loose, range(ahead.until, len(rows))))
    if rest:
        shapes, dates = rows.shapes, rows.dates
        for shape, (positions, counts) in group(list(map(shapes.__getitem__, rest)),
                                                 list(map(dates.__getitem__, rest))).items():
            indices = list(map(rest.__getitem__, positions))
            known = found.get(shape)
            if known is not None:          # rows grouped here may fall between those grouped ahead
                indices = sorted(known[0] + indices)
                counts = Counter(known[1]) + Counter(counts)
            found[shape] = (indices, counts)
    return sorted(((shape, indices, days) for shape, (indices, days) in found.items()),
                  key=lambda bucket: bucket[1][0])


def _ahead(rows: LedgerRows) -> Ahead:
    if rows.ahead is None:
        rows.ahead = Ahead()
    return rows.ahead
