"""A ledger's accepted rows, kept column by column.

A million rows repeat a few thousand combinations of descriptive cells, so each row holds one
shared `Shape` (unit, event, level, publication, form, category, tags, 数量, 分值) plus its own
date, item, 字数 and place. Columns of shared references cost 8 bytes a row; a `Row` object per
line would cost twenty times that, and the time to build it. `Row` objects are made only when
someone asks for a row (traces, unmatched lists, notices), and the same object every time.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import partial
from itertools import chain, filterfalse, repeat
from operator import attrgetter, sub
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

ONE = Fraction(1)
# a Shape's fields as a Row has them, in Row's order: unit and event before the item, the rest after
_SHAPED = ("unit", "event", "publication", "level", "form", "category", "tags", "count", "points", "sub_unit")


@dataclass(eq=False, slots=True)
class Shape:
    """The descriptive cells of a row, as the policy names them. Compared by identity: one
    object per distinct combination of cells, so that equal shapes are usually the same object."""
    unit: str
    sub_unit: str | None
    event: str
    level: str | None
    publication: str | None
    form: str | None
    category: str | None
    tags: frozenset
    count: Fraction           # 1 when the cell is blank
    points: Fraction | None
    names: tuple = ()         # (unit, event, level, publication, form, category, tags): what a row pattern sees

    def __post_init__(self) -> None:
        self.names = (self.unit, self.event, self.level, self.publication, self.form, self.category, self.tags)


@dataclass(slots=True, eq=False)
class Row:
    """One ledger row, made on demand from the columns."""
    file: str
    row: int                 # spreadsheet row number (header = 1); the line in a JSONL file
    date: date
    unit: str                # the policy's unit this row counts for
    event: str
    item: str | None
    publication: str | None  # the policy's name when declared, else the normalised cell
    level: str | None
    form: str | None
    category: str | None
    tags: frozenset
    length: int | None
    count: Fraction
    points: Fraction | None
    sub_unit: str | None = None
    index: int = -1          # place in the ledger's columns


class RowNumbers:
    """Each row's number as the user sees it, kept as the runs the reader appends: a batch of
    consecutive lines is one range, so a million rows keep a few hundred objects, not a million."""

    def __init__(self) -> None:
        self.starts: list[int] = []     # the index of each run's first row
        self.runs: list = []            # ranges, or lists where lines were left out
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> int:
        run = bisect_right(self.starts, index) - 1
        return self.runs[run][index - self.starts[run]]

    def at(self, indices) -> list[int]:
        """The numbers at these indices (in ascending order), a run at a time."""
        found: list[int] = []
        bounds = [*map(partial(bisect_left, indices), self.starts), len(indices)]
        for run, start, first, end in zip(self.runs, self.starts, bounds, bounds[1:]):
            found += map(run.__getitem__, map((-start).__add__, indices[first:end]))
        return found

    def shifted(self, lines: int) -> "RowNumbers":
        """The same runs, each number `lines` further on."""
        moved = RowNumbers()
        for run in self.runs:
            moved.extend(shifted_run(run, lines))
        return moved

    def extend(self, numbers) -> None:
        """Append a run, or every run of another RowNumbers."""
        for run in numbers.runs if isinstance(numbers, RowNumbers) else (numbers,):
            if len(run):
                self.starts.append(self.size)
                self.runs.append(run)
                self.size += len(run)


def shifted_run(run: range | list[int], lines: int) -> range | list[int]:
    """Row numbers `lines` further on: a part of a file, placed after the parts before it."""
    if isinstance(run, range):
        return range(run.start + lines, run.stop + lines)
    return [number + lines for number in run]


class LedgerRows:
    """The accepted rows in ledger order (files in the order given, rows in file order)."""

    def __init__(self) -> None:
        self.shapes: list[Shape] = []
        self.dates: list[date] = []
        self.items: list[str] = []          # "" for a row without an item
        self.lengths: list[int | None] = []
        self.numbers = RowNumbers()         # row numbers as the user sees them
        self._starts: list[int] = []         # each file's first index, in order
        self._files: list[str] = []
        self._made: dict[int, Row] = {}
        self.ahead = None                   # the rows grouped by shape as they were read (grouping.Ahead)

    def __len__(self) -> int:
        return len(self.shapes)

    def start_file(self, file: str) -> None:
        """Rows added from now on come from this file."""
        self._starts.append(len(self.shapes))
        self._files.append(file)

    def extend(self, shapes, dates, items, lengths, numbers) -> None:
        """Append rows, column by column (all of the same length; numbers as RowNumbers.extend takes them)."""
        self.shapes += shapes
        self.dates += dates
        self.items += items
        self.lengths += lengths
        self.numbers.extend(numbers)

    def file_of(self, index: int) -> str:
        return self._files[bisect_right(self._starts, index) - 1]     # a file without rows shares its start: the later wins

    def place(self, index: int) -> str:
        """file:row, as a notice cites a row."""
        return f"{self.file_of(index)}:{self.numbers[index]}"

    def row(self, index: int) -> Row:
        """The row at an index, made once."""
        made = self._made.get(index)
        return made if made is not None else self.rows_at((index,))[0]

    def rows_at(self, indices) -> list[Row]:
        """The rows at these indices (in ascending order), each made once (`row` gives the same
        objects); a column at a time, for the many rows an unmatched list or an explanation asks for."""
        made = self._made
        new = list(filterfalse(made.__contains__, indices))
        if new:
            shapes = list(map(self.shapes.__getitem__, new))
            fields = [map(attrgetter(name), shapes) for name in _SHAPED]
            made.update(zip(new, map(Row, self.files_at(new), self.numbers.at(new), map(self.dates.__getitem__, new),
                                     *fields[:2], [item or None for item in map(self.items.__getitem__, new)],
                                     *fields[2:7], map(self.lengths.__getitem__, new), *fields[7:], new)))
        return list(map(made.__getitem__, indices))

    def files_at(self, indices: list[int]):
        """The file of each of these indices (in ascending order)."""
        bounds = [*map(partial(bisect_left, indices), self._starts), len(indices)]
        return chain.from_iterable(map(repeat, self._files, map(sub, bounds[1:], bounds)))

    def __iter__(self):
        return iter(self.rows_at(range(len(self.shapes))))

    @classmethod
    def of(cls, rows) -> "LedgerRows":
        """Columns holding these Row objects, in this order (tests build ledgers this way)."""
        store = cls()
        shapes: dict[tuple, Shape] = {}
        file = None
        for row in rows:
            if row.file != file:
                file = row.file
                store.start_file(file)
            key = (row.unit, row.sub_unit, row.event, row.level, row.publication, row.form, row.category,
                   row.tags, row.count, row.points)
            shape = shapes.get(key)
            if shape is None:
                shape = shapes[key] = Shape(*key)
            store.extend([shape], [row.date], [row.item or ""], [row.length], [row.row])
        return store


class LedgerError(Exception):
    """The file cannot be read as a ledger at all (no such file, no header, missing column)."""


@dataclass(frozen=True)
class Rejection:
    file: str
    row: int
    column: str              # the ledger column's Chinese name, or the header as written
    reason: str
    suggestion: str | None = None
    cells: tuple = ()        # the whole row as (header, cell) pairs, extra columns included

    def __str__(self) -> str:
        text = f"{self.file}:{self.row}:{self.column}: {self.reason}"
        return text + (f"（{self.suggestion}）" if self.suggestion else "")


@dataclass
class Ledger:
    rows: LedgerRows = field(default_factory=LedgerRows)
    rejected: list[Rejection] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
