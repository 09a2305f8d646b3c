"""A ledger's rows grouped by shape: the buckets scoring works on, each shape's rows in ledger
order with how many fall on each day.

Grouping a million rows takes a pass of its own, so a big ledger is grouped a part at a time
as it is read: the parent groups the part it read itself while a child is still reading, and a
child groups its part while the parent takes that part in (a second result, see parallel).
At the end (`buckets`) the parts' groups are joined, and the rows no part grouped are grouped
then: the rows of parts read in one process, and the loose rows, whose shape could still change
when they were grouped (those whose item's 报送 row was not found yet, and those a later part
linked to another 报送 row than its own).
"""
from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import chain

from .rows import LedgerRows, Shape


@dataclass
class Stretch:
    """The rows from `start` to `stop` grouped ahead, but for the loose ones."""
    start: int
    stop: int
    groups: dict[Shape, tuple[list[int], dict]]   # shape -> (ledger indices in order, {date: rows})
    loose: list[int]                               # ledger indices in the stretch left out


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
    rows.ahead.append(Stretch(start, len(rows), group(shapes, rows.dates[start:], start), loose))


def travelling(shapes: list, dates: list, first: int) -> list[tuple[array, dict]]:
    """A part's groups as a child sends them: the ledger indices of each group's rows, as a compact
    array, and its days. The part's first row is taken to be at `first`: a child cannot know how
    many rows the parts before it keep, only how many lines they have, and the parent shifts the
    indices where that was wrong. `shapes` are the part's own, None for rows left loose: the parent
    knows each group's shape by the one it gave the group's first row."""
    return [(array("i", indices), days) for indices, days in group(shapes, dates, first).values()]


def take_ahead(rows: LedgerRows, start: int, first: int, groups: list, loose: list[int], relinked: set[int]) -> None:
    """A child's groups (see `travelling`, which took the part to begin at `first`) for its part, now
    in the ledger from index `start`. `loose` (ledger indices) are the part's rows whose shape was
    not settled when the part was taken in; the child grouped those of them that it had linked to a
    报送 row of its own (`relinked`: an earlier part submitted their item first), and they are taken
    out again."""
    shapes, dates = rows.shapes, rows.dates
    placed: dict[Shape, tuple[list[int], dict]] = {}
    for travelled, days in groups:
        indices = travelled.tolist() if start == first else list(map((start - first).__add__, travelled))
        if relinked and not relinked.isdisjoint(indices):
            indices = [index for index in indices if index not in relinked]
            if not indices:
                continue
            days = Counter(map(dates.__getitem__, indices))
        placed[shapes[indices[0]]] = (indices, days)
    rows.ahead.append(Stretch(start, len(rows), placed, loose))


def buckets(rows: LedgerRows) -> list[tuple[Shape, list[int], dict]]:
    """Every shape's rows in ledger order and how many fall on each day, in the order of each
    shape's first row: the stretches grouped ahead joined, and the other rows grouped here."""
    if not rows.ahead:
        return [(shape, indices, days) for shape, (indices, days) in group(rows.shapes, rows.dates).items()]
    pieces: dict[Shape, list[list[int]]] = defaultdict(list)
    days: dict[Shape, Counter] = defaultdict(Counter)
    rest: list = []                     # ranges and lists of the ledger indices grouped here, in order
    done = 0
    for stretch in rows.ahead:          # in ledger order
        rest += [range(done, stretch.start), stretch.loose]
        for shape, (indices, counts) in stretch.groups.items():
            pieces[shape].append(indices)
            days[shape].update(counts)
        done = stretch.stop
    rest.append(range(done, len(rows)))
    rest = list(chain.from_iterable(rest))
    interleaved = set()                 # shapes with rows grouped here, which may fall between the others
    if rest:
        shapes, dates = rows.shapes, rows.dates
        for shape, (indices, counts) in group(list(map(shapes.__getitem__, rest)),
                                               list(map(dates.__getitem__, rest))).items():
            pieces[shape].append(list(map(rest.__getitem__, indices)))
            days[shape].update(counts)
            interleaved.add(shape)
    found = []
    for shape, parts in pieces.items():
        if len(parts) == 1:
            indices = parts[0]
        else:               # stretches are in ledger order: only rows grouped here need sorting in
            indices = list(chain.from_iterable(parts))
            if shape in interleaved:
                indices.sort()
        found.append((shape, indices, days[shape]))
    found.sort(key=lambda bucket: bucket[1][0])
    return found
