"""Read ledgers (台账) in the shared format and check every row against the plan.

Each data row ends up either in the ledger's columns (`rows.LedgerRows`), ready to score, or
as a `Rejection` that says file:row:column, why, and what was probably meant. Nothing is
dropped without a word. The files themselves (CSV, XLSX, JSONL) are read by `sources`, their
cells by `cells`, and items are linked by `links`.

The reader works a batch at a time, column by column: each column's cells go through a memo
of their distinct values in one `map`, so a million rows cost a few hundred conversions and
a few C-level passes. Only rows that something flags (a bad date, an unknown unit, a missing
item) are checked one by one, by the same code that writes their rejection. A big CSV file
is read in parts side by side (`parallel`, `parts`).
"""
from __future__ import annotations

import operator
from dataclasses import replace
from datetime import date
from itertools import compress
from operator import itemgetter

from govrule.compiler.lower import Plan
from govrule.compiler.normalize import ASCII_STRIPPED

from .cells import BAD, CellChecker
from .collector import collector_paused
from .columns import COLUMNS, DATE, ITEM, ITEM_EVENTS, LENGTH, NAMES, SHAPE, column_key, column_name, locate
from .links import ItemLinks, PartLinks
from .grouping import group_ahead, groups_to_send, take_ahead
from .leaving import keep_until_exit
from .parallel import side_by_side, workers
from .parts import pack, unpack
from .rows import Ledger, LedgerError, Rejection, Row
from .sources import Batch, SourceError, open_table

__all__ = ["COLUMNS", "Ledger", "LedgerError", "Rejection", "Row", "column_key", "read_ledger"]

_ROW = operator.attrgetter("row")


def read_ledger(paths, plan: Plan, period: tuple[date, date], sheet: str | None = None, progress=None) -> Ledger:
    """Read one or more ledger files and validate every row against the plan.
    `progress`, when given, is called with the number of rows read since its last call."""
    # what the reader keeps per row is freed before the collector is back on, so it never scans it
    with collector_paused():
        return _read_all(paths, plan, period, sheet, progress)


def _read_all(paths, plan: Plan, period: tuple[date, date], sheet: str | None, progress) -> Ledger:
    ledger = Ledger()
    checker = CellChecker(plan, period)
    links = ItemLinks(checker.submitting)
    for path in paths:
        try:
            table = open_table(path, sheet)
            _read_table(table, checker, links, ledger, progress)
        except SourceError as error:
            raise LedgerError(str(error)) from error
    links.finish(ledger.rows, checker.outside, ledger.notices)
    keep_until_exit(links)          # a dict of every item: freeing it touches each code once more
    return ledger


# each part of a file read side by side has at least this many bytes (a file of fewer than twice
# as many is read in one process): forking and sending back cost more than smaller parts save
PARALLEL_MIN_BYTES = 2_000_000
# at most this many items waiting for a 报送 row are sent to a child to look up (see own)
TOLD_ITEMS = 2000
# the part the parent reads itself is this much longer than each child's: a child also packs its
# part and sends it, and the parent then takes it in
OWN_SHARE = 0.95


def _read_table(table, checker: CellChecker, links: ItemLinks, ledger: Ledger, progress) -> None:
    file, header = table.file, table.header
    columns, spares = locate(header, file, ledger.notices, table.format == "jsonl")
    if table.encoding == "GB18030":
        ledger.notices.append(f"{file}: 按 GB18030 编码读取")
    ledger.rows.start_file(file)
    layout = _Layout(file, header, columns, spares, checker)
    share = len(table.data) // PARALLEL_MIN_BYTES if table.data is not None else 0
    parts = table.split(min(workers(), share), OWN_SHARE) if share >= 2 else None
    if parts is None:
        _read_part(table, layout, checker, links, ledger, progress)
        return

    lines = 0                       # in the parts read so far: each part is numbered as if it were the first

    def own(part):
        nonlocal lines
        start, waiting = len(ledger.rows), len(links.waiting)
        lines += _read_part(part, layout, checker, links, ledger, progress)
        # told to the children: where the second part's rows begin, and the items to look up (a
        # few: what a child is told must fit the socket's buffer while the child may still be
        # sending its part through a pipe; with more, the parent looks them up at the end)
        wanted = links.unresolved(ledger.rows)
        yield len(ledger.rows), wanted if len(wanted) <= TOLD_ITEMS else set()
        group_ahead(ledger.rows, start, links.waiting[waiting:])    # while the children go on

    def work(part):
        return _part_columns(part, layout, checker)

    for part, results in side_by_side(parts, work, own):
        columns = next(results, None)
        if columns is None:                 # the child failed: read its part here
            lines += _read_part(part, layout, checker, links, ledger, progress, lines)
        else:
            lines += _take_part(columns, layout, checker, links, ledger, progress, lines, results)


def _read_part(table, layout: "_Layout", checker: CellChecker, links, ledger: Ledger, progress,
               shift: int = 0) -> int:
    """Read a table's records, numbered `shift` lines further on. Returns how many it had."""
    records = 0
    for batch in table.batches:
        _read_batch(batch.shifted(shift) if shift else batch, layout, checker, links, ledger)
        records += len(batch.rows)
        if progress is not None:
            progress(len(batch.rows))
    return records


def _part_columns(table, layout: "_Layout", checker: CellChecker):
    """A part read in a child process, packed to travel back (see parts), then its rows grouped by
    shape, taken to begin where it would if no line between it and the file's first part were
    dropped (see grouping.groups_to_send): the parent tells where its own part ended. With them,
    where the part first submitted the items that still wait for a 报送 row, the parent's (which it
    tells) and the part's own (links.ItemLinks.answered)."""
    part, links = Ledger(), PartLinks(checker.submitting)
    records = _read_part(table, layout, checker, links, part, None)
    keep_until_exit(part, links)
    second_start, wanted = yield pack(part, layout.shapes, checker.outside, records, links.packed())
    guessed_start = second_start + table.lines_after_first()
    linked = links.linked(part.rows.shapes)           # while the parent takes the part in
    asked = wanted.union(map(part.rows.items.__getitem__, links.waiting))
    answers = {item: links.first[item] for item in asked if item in links.first}
    yield guessed_start, groups_to_send(linked, part.rows.dates, guessed_start), asked, answers


def _take_part(packed: dict, layout: "_Layout", checker: CellChecker, links: ItemLinks, ledger: Ledger,
               progress, shift: int, results) -> int:
    """A part a child read, numbered `shift` lines further on and appended, with the links it found
    applied here, and its rows grouped by shape as the child sends them next (`results`). Returns
    how many records it had."""
    part = unpack(packed, layout.shapes)
    start = len(ledger.rows)
    waiting, relinked = links.take(part, ledger.rows)
    ledger.rows.extend(part.shapes, part.dates, part.items, part.lengths, part.numbers.shifted(shift))
    links.settle(ledger.rows, waiting)
    keep_until_exit(part)           # its cells live on in the ledger; its lists need not be freed one by one
    grouped = next(results, None)
    if grouped is not None:         # else they are grouped with the rest at the end
        guessed_start, groups, asked, answers = grouped
        take_ahead(ledger.rows, start, guessed_start, groups, waiting, relinked)
        links.answered(asked, answers)
    ledger.rejected += [replace(rejection, row=rejection.row + shift) for rejection in part.rejected]
    for item, cells in part.outside.items():      # the earlier parts' 报送 rows come first
        checker.outside.setdefault(item, cells)
    if progress is not None:
        progress(part.records)
    return part.records


class _Layout:
    """Where one file keeps the ledger's columns: C-level getters over its records."""

    def __init__(self, file: str, header: list[str], columns: list[int], spares, checker: CellChecker) -> None:
        self.file, self.header, self.columns, self.spares = file, header, columns, spares
        self.width = len(header)
        self.date = itemgetter(columns[DATE])
        self.item = itemgetter(columns[ITEM]) if columns[ITEM] >= 0 else None
        self.length = itemgetter(columns[LENGTH]) if columns[LENGTH] >= 0 else None
        present = tuple(columns[i] >= 0 for i in SHAPE)    # 单位 and 事项 always are: a tuple of two or more
        self.described = itemgetter(*(columns[i] for i in SHAPE if columns[i] >= 0))
        self.shapes = checker.shapes_from(present)

    def record(self, cells: list[str]) -> list[str]:
        """A record's ledger cells in NAMES order, stripped (for CellChecker.check)."""
        return [cells[i].strip() if 0 <= i < len(cells) else "" for i in self.columns]

    def padded(self, cells: list[str]) -> list[str]:
        """A record as wide as the header (a rejection lists every column)."""
        return cells + [""] * (self.width - len(cells)) if len(cells) < self.width else cells

    def filled(self, rows: list[list[str]]) -> list[list[str]]:
        """日期 and date both given: the first non-empty cell stands in the ledger column's place.
        A record that changes is copied: a rejection shows the cells as written."""
        filled = []
        for cells in rows:
            for position, others in self.spares:
                main = self.columns[position]
                if not cells[main].strip():
                    cells = cells.copy()
                    cells[main] = next((cells[i] for i in others if cells[i].strip()), "")
            filled.append(cells)
        return filled


def _read_batch(batch, layout: _Layout, checker: CellChecker, links: ItemLinks, ledger: Ledger) -> None:
    """One batch of records into the ledger's columns, or into rejections."""
    rows, numbers = batch.rows, batch.numbers
    if batch.problems:          # the garbled records are rejected first, then sorted in with the others
        mark = len(ledger.rejected)
        rows, numbers = _set_aside(rows, numbers, batch.problems, layout, ledger)
        _read_batch(Batch(rows, numbers), layout, checker, links, ledger)
        ledger.rejected[mark:] = sorted(ledger.rejected[mark:], key=_ROW)
        return
    written = rows
    try:
        if layout.spares:
            rows = layout.filled(rows)
        dates = list(map(checker.dates.__getitem__, map(layout.date, rows)))
        shapes = list(map(layout.shapes.__getitem__, map(layout.described, rows)))
        items = list(map(layout.item, rows)) if layout.item else [""] * len(rows)
        lengths = list(map(checker.lengths.__getitem__, map(layout.length, rows))) if layout.length else [None] * len(rows)
    except IndexError:          # a short record (or a blank line): pad it and read the batch again
        rows, numbers = _set_aside(written, numbers, {}, layout, ledger)
        return _read_batch(Batch(rows, numbers), layout, checker, links, ledger) if rows else None
    joined = "".join(items)
    if not joined.isascii() or any(map(joined.__contains__, ASCII_STRIPPED)):   # else the codes are normal already
        items = checker.normal_codes(items)
    # a row is suspect when any of its cells could not be read; CellChecker.check says why
    suspect = ((checker.dates.spoiled and None in dates) or (layout.shapes.spoiled and None in shapes)
               or (checker.lengths.spoiled and BAD in lengths))
    if not suspect and "" in items:     # rows without an item are fine unless their event needs one
        suspect = not checker.itemless.issuperset(compress(shapes, map(operator.not_, items)))
    if suspect:
        shapes, dates, items, lengths, numbers = _keep_good(rows, written, numbers, dates, shapes, items, lengths,
                                                            layout, checker, ledger)
    start = len(ledger.rows)
    ledger.rows.extend(shapes, dates, items, lengths, numbers)
    links.batch(ledger.rows, start)


def _keep_good(rows, written, numbers, dates, shapes, items, lengths, layout: _Layout, checker, ledger):
    """The columns without the rows that cannot be scored; those become rejections, saying why,
    with their cells as written."""
    keep = []
    for position, (day, shape, item, length) in enumerate(zip(dates, shapes, items, lengths)):
        ok = day is not None and shape is not None and length is not BAD and (item or shape.event not in ITEM_EVENTS)
        if not ok:
            if "".join(rows[position]).strip():         # a blank line is not a row
                column, reason, suggestion = checker.check(layout.record(rows[position]))
                ledger.rejected.append(Rejection(layout.file, numbers[position], NAMES[column], reason, suggestion,
                                                 tuple(zip(layout.header, layout.padded(written[position])))))
        keep.append(ok)
    return (list(compress(shapes, keep)), list(compress(dates, keep)), list(compress(items, keep)),
            list(compress(lengths, keep)), list(compress(numbers, keep)))


def _set_aside(rows, numbers, problems: dict, layout: _Layout, ledger: Ledger):
    """The records the file garbled become rejections, with what could be read of them; the others
    are padded to the header's width. Blank lines are dropped here, uncounted. Returns the
    remaining rows and their numbers."""
    kept, kept_numbers = [], []
    for position, (cells, number) in enumerate(zip(rows, numbers)):
        problem = problems.get(position)
        if problem is not None:
            ledger.rejected.append(Rejection(layout.file, number, column_name(layout.header, problem.column),
                                             problem.reason, problem.suggestion, tuple(zip(layout.header, cells))))
        elif "".join(cells).strip():
            kept.append(layout.padded(cells))
            kept_numbers.append(number)
    return kept, kept_numbers
