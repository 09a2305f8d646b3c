"""Ledger files as tables of text cells: CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX and JSONL.

Every format comes out the same way: a header and batches of records, each record its cells
and its row number. Row numbers are what the user sees: the spreadsheet row for CSV and XLSX
(header = 1), the line for JSONL. A record the file itself garbles (bytes in no known encoding,
a quote that is never closed, a JSONL line that is not an object) carries a problem instead of
being lost. Batches are small, so that a million rows pass through the same few megabytes
of memory; a CSV batch whose records are one line each is passed on as the csv module read it.
"""
from __future__ import annotations

import csv
import io
import json
import mmap
import os
import re
import stat
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from itertools import islice, repeat
from typing import Iterator

from .rows import shifted_run

BATCH = 1000             # records per batch: big enough to amortise, small enough to stay in cache
STRETCH = 65536          # bytes of a file whose encoding shows (see _encoding_of)
JUDGED = 1 << 20         # bytes decoded at a time to judge a whole file's encoding
MAPPED_BYTES = 4_000_000   # a CSV file this big is mapped into memory, not read (see _contents)
BROKEN = "\ufffd"        # what a byte in no known encoding decodes to
READABLE_PER_BROKEN = 4   # damaged UTF-8 stays UTF-8 with this many readable characters to each bad byte
_NEWLINES = re.compile(r"\r\n|\r|\n")
_LONE_CR = re.compile(rb"\r(?!\n)")


class SourceError(Exception):
    """The file cannot be read as a table at all."""


@dataclass(frozen=True)
class Problem:
    column: int | None     # index into the header, None for the row as a whole
    reason: str
    suggestion: str | None = None


@dataclass
class Batch:
    rows: list[list[str]]
    numbers: range | list[int]                  # each record's row number
    problems: dict[int, Problem] = field(default_factory=dict)   # position in rows -> what the file garbled

    def shifted(self, lines: int) -> "Batch":
        """The same records numbered `lines` further on (a part of a file, placed; see Table.split)."""
        return Batch(self.rows, shifted_run(self.numbers, lines), self.problems)


@dataclass
class Table:
    file: str
    header: list[str]
    batches: Iterator[Batch]
    format: str             # "csv", "xlsx" or "jsonl"
    encoding: str | None = None
    data: bytes | mmap.mmap | None = None  # a CSV file's bytes when every record is one line: it can be split
    within: tuple | None = None  # a part of such a file (split): the file's bytes, where the first part ends and this one starts

    def lines_after_first(self) -> int:
        """The line breaks between the end of its file's first part and this part (0 for the first two
        parts, and for a whole file), counted when asked by whichever process reads the part: as
        many records, when every line is one (a blank line or a lone \r makes it a guess, which
        the reader checks: see grouping.groups_to_send)."""
        if self.within is None:
            return 0
        data, end, start = self.within
        return sum(data[at:min(at + JUDGED, start)].count(b"\n") for at in range(end, start, JUDGED))

    def split(self, parts: int, first: float = 1.0) -> list["Table"] | None:
        """The same records as up to `parts` tables over consecutive stretches of lines, to be read
        side by side. Each is numbered as if it came right after the header: how many lines come
        before a part is known only once the parts before it are read, and the reader then shifts
        its numbers (Batch.shifted). The first stretch is `first` times as long as each of the
        others, which are of about equal length. Only for a CSV file whose records are one line
        each (see `data`); otherwise None. Cutting costs a few searches: each part decodes its own
        stretch when it is read, in whichever process reads it."""
        data = self.data
        if data is None or parts < 2:
            return None
        body = data.find(b"\n") + 1           # after the header, which is one line: no quotes
        unit = (len(data) - body) / (first + parts - 1)
        cuts = sorted({body, len(data), *(data.find(b"\n", body + int(unit * (first + k - 1))) + 1
                                          for k in range(1, parts))} - {0})
        return [Table(self.file, self.header, _line_batches(data, start, end, self.encoding), "csv", self.encoding,
                      within=(data, cuts[1], start))
                for start, end in zip(cuts, cuts[1:])] if len(cuts) > 2 else None


def open_table(path: str | Path, sheet: str | None = None) -> Table:
    """The table in a ledger file, chosen by its suffix (.xlsx, .jsonl; anything else is CSV)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _xlsx(path, sheet)
        data = _contents(path, mappable=suffix not in (".jsonl", ".ndjson"))
    except OSError as error:
        raise SourceError(f"{path}: 无法读取台账：{_os_reason(error)}") from error
    if suffix == ".xls":
        raise SourceError(f"{path}: 不支持旧版 .xls 文件，请在 Excel 或 WPS 里另存为 .xlsx 或 CSV")
    if sheet is not None:
        raise SourceError(f"{path}: --sheet 只用于 .xlsx 文件")
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl(path, *decode(data))
    # every record one line: no quotes (a byte that occurs inside no UTF-8 or GB18030 character, so
    # the bytes tell), and a header ended by \n; a lone \r further on ends a line (see _line_batches)
    newline = data.find(b"\n")
    if data.find(b'"') < 0 and newline >= 0 and not _LONE_CR.search(data, 0, newline + 1):
        return _lines(path, data, _encoding_of(data))
    return _csv(path, *decode(data[:]))


def _contents(path: Path, mappable: bool) -> bytes | mmap.mmap:
    """A file's bytes. A big regular file is mapped rather than read: nothing is copied before it
    is split, and each process that reads a part brings in only that part's pages, while the others
    do the same. Anything else (a small file, a pipe, a file system that cannot map) is read from
    the same opening. (A mapped file cut short by someone else while it is read would end the
    process: a risk that reading it whole only moves to an earlier moment.)"""
    with open(path, "rb") as file:
        status = os.fstat(file.fileno())
        if mappable and stat.S_ISREG(status.st_mode) and status.st_size >= MAPPED_BYTES:
            with suppress(OSError, ValueError):     # ValueError: emptied since it was looked at
                return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        return file.read()


def decode(data: bytes) -> tuple[str, str, bool]:
    """Text, encoding name, and whether some bytes could not be read.

    Valid UTF-8 is UTF-8. Text that is UTF-8 apart from a few bad bytes stays UTF-8, so the bad
    bytes cost one row each rather than turning the whole file into GB18030 gibberish.
    Otherwise it is GB18030, which is what Excel writes on Chinese Windows.
    """
    as_utf8, damaged = _decoded(data, "utf-8-sig")
    if not damaged or _mostly_readable(as_utf8):
        return as_utf8, "UTF-8", damaged
    text, damaged = _decoded(data, "gb18030")
    return text, "GB18030", damaged


def _mostly_readable(text: str) -> bool:
    """Whether UTF-8 text with bytes replaced has at least READABLE_PER_BROKEN readable non-ASCII
    characters to each replaced one."""
    return _readable(text) >= READABLE_PER_BROKEN * text.count(BROKEN)


def _readable(text: str) -> int:
    """The non-ASCII characters that are not replaced bytes (counted in C: the ASCII ones are what
    an ASCII encoding keeps)."""
    return len(text) - len(text.encode("ascii", "ignore")) - text.count(BROKEN)


def _encoding_of(data: bytes) -> str:
    """UTF-8 when the first stretch of the file reads as UTF-8 and is not all ASCII: Chinese text in
    another encoding does not. Otherwise what `decode` would make of the whole file, without
    decoding it as GB18030, and without reading on once the rest could not change the answer."""
    sample = data[:data.find(b"\n", STRETCH) + 1 or len(data)]
    try:
        if not sample.decode("utf-8-sig").isascii():
            return "UTF-8"
    except UnicodeDecodeError:
        pass
    readable = broken = start = 0
    damaged, codec = False, "utf-8-sig"
    while start < len(data):        # a stretch of whole lines decodes as it does within the file
        cut = data.find(b"\n", start + JUDGED) + 1 or len(data)
        text, bad = _decoded(data[start:cut], codec)
        damaged, start, codec = damaged or bad, cut, "utf-8"
        readable, broken = readable + _readable(text), broken + text.count(BROKEN)
        # a readable character takes two bytes or more: past this, the rest cannot make the file UTF-8
        if damaged and readable + (len(data) - start) // 2 < READABLE_PER_BROKEN * broken:
            return "GB18030"
    return "UTF-8" if not damaged or readable >= READABLE_PER_BROKEN * broken else "GB18030"


def _damage(cells: list[str]) -> Problem | None:
    for index, cell in enumerate(cells):
        if BROKEN in cell:
            return Problem(index, "这一格有无法识别的字节，文件可能在别的编码下被改过",
                           "用 Excel 或 WPS 重新打开核对这一格，再另存为 CSV UTF-8")
    return None


# ---- CSV ----------------------------------------------------------------------------------

def _csv(path: Path, text: str, encoding: str, damaged: bool) -> Table:
    csv.field_size_limit(1 << 30)  # a long 备注 is still a row
    first = text[:text.find("\n") + 1] or text
    # the header line alone when it has no quotes; otherwise a quoted cell may run on to the next line
    reader = csv.reader(io.StringIO(first if '"' not in first else text, newline=""))
    header = next(reader, None)
    if not header or not any(c.strip() for c in header):
        raise SourceError(f"{path}: 台账是空的，第1行应当是表头")
    return Table(str(path), header, _csv_batches(text, len(header), damaged, skip=reader.line_num), "csv", encoding)


def _lines(path: Path, data: bytes, encoding: str) -> Table:
    """A CSV file whose records are one line each, read from its bytes a stretch at a time."""
    body = data.find(b"\n") + 1 or len(data)
    header = _decoded(data[:body], "utf-8-sig" if encoding == "UTF-8" else "gb18030")[0]
    header = header.replace("\r", "").rstrip("\n").split(",")
    if not any(c.strip() for c in header):
        raise SourceError(f"{path}: 台账是空的，第1行应当是表头")
    return Table(str(path), header, _line_batches(data, body, len(data), encoding), "csv", encoding, data)


def _decoded(piece: bytes, codec: str) -> tuple[str, bool]:
    """Whole lines as text, and whether some bytes could not be read (they are replaced). A line
    break is never taken for part of a character: at the end of its input the GB18030 decoder
    would replace a broken character together with the break after it, so it is shown one byte
    more. A stretch of a file then decodes as it does within the whole file."""
    try:
        return piece.decode(codec), False
    except UnicodeDecodeError:
        if piece.endswith(b"\n"):
            return (piece + b"\n").decode(codec, errors="replace")[:-1], True
        return piece.decode(codec, errors="replace"), True


def _line_batches(data: bytes, start: int, end: int, encoding: str):
    """Batches of the records in data[start:end] (from the start of a line), numbered from 2 as if
    they came right after the header, for a file whose records are one line each: with no quotes,
    a line is its cells joined by commas, so splitting does what the csv module would, in two
    thirds of the time. A batch is a stretch of about BATCH ordinary lines, decoded and split on
    its own: lines are made a batch at a time, in memory that the next batch reuses. A stretch
    with bytes the encoding cannot read has them replaced, and each record with such a cell
    carries the problem. A lone \r ends a line, as it does for the csv module and a spreadsheet."""
    codec = "utf-8" if encoding == "UTF-8" else "gb18030"
    number = 1                                  # the spreadsheet row before the first record
    stretch = BATCH * 64                       # bytes: BATCH lines of 40 to 100 bytes, give or take
    while start < end:
        cut = data.find(b"\n", start + stretch, end) + 1 or end
        piece = data[start:cut]
        if b"\r" in piece:
            piece = piece.replace(b"\r\n", b"\n")
            if b"\r" in piece:                 # rare: a line ended by \r alone
                piece = piece.replace(b"\r", b"\n")
        text, damaged = _decoded(piece, codec)
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()                         # the stretch ends with a line break, not with a record
        rows = list(map(str.split, lines, repeat(",")))
        problems = {i: p for i, p in enumerate(map(_damage, rows)) if p is not None} if damaged else {}
        yield Batch(rows, range(number + 1, number + 1 + len(lines)), problems)
        number += len(lines)
        start = cut


def _csv_batches(text: str, width: int, damaged: bool, skip: int):
    """Batches of the CSV records in text after its first `skip` lines (the header, however many
    lines its cells take), numbered as spreadsheet rows from 2."""
    number = 1                    # spreadsheet row of the last record (header = 1)
    lines = _LineCursor(text)
    reader = csv.reader(io.StringIO(lines.after(skip), newline=""))
    consumed = base = skip        # physical lines read so far; those before the current reader's text
    while True:
        rows = list(islice(reader, BATCH))
        if not rows:
            return
        if base + reader.line_num - consumed == len(rows) and not damaged:   # one line per record
            yield Batch(rows, range(number + 1, number + 1 + len(rows)))
            number += len(rows)
            consumed += len(rows)
            continue
        numbers, problems = [], {}
        for position, cells in enumerate(rows):
            number += 1
            numbers.append(number)
            span = 1 + sum(len(_NEWLINES.findall(c)) for c in cells if "\n" in c or "\r" in c)
            if span > 1 and _swallowed_rows(cells, width):
                # a quote never closed: this line's cell ran on over whole rows. Reject this line
                # and read on from the next one, so that the rows it swallowed are not lost.
                column = next(i for i, c in enumerate(cells) if "\n" in c or "\r" in c)
                rows[position] = cells[:column] + [cells[column].splitlines()[0]]
                problems[position] = Problem(column, "引号没有闭合，这一格把后面的行也包进去了",
                                             "删掉这一格里多余的引号，或补上闭合的引号")
                del rows[position + 1:]
                consumed = base = consumed + 1
                reader = csv.reader(io.StringIO(lines.after(base), newline=""))
                break
            consumed += span
            problem = _damage(cells) if damaged else None
            if problem is not None:
                problems[position] = problem
        yield Batch(rows, numbers, problems)


class _LineCursor:
    """The text after a given number of physical lines; asked for in increasing order."""

    def __init__(self, text: str) -> None:
        self.text, self.lines, self.position = text, 0, 0

    def after(self, count: int) -> str:
        while self.lines < count:
            found = _NEWLINES.search(self.text, self.position)
            self.position = found.end() if found else len(self.text)
            self.lines += 1
        return self.text[self.position:]


def _swallowed_rows(cells: list[str], width: int) -> bool:
    """Whether a multi-line cell holds whole ledger rows (a quote left open) rather than a long note."""
    if width < 3:
        return False
    for cell in cells:
        if "\n" in cell or "\r" in cell:
            for line in cell.splitlines()[1:]:
                if len(next(csv.reader([line]), [])) == width:
                    return True
    return False


# ---- JSONL --------------------------------------------------------------------------------

def _jsonl(path: Path, text: str, encoding: str, damaged: bool) -> Table:
    objects: list[tuple[int, dict | None, Problem | None]] = []
    header: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as error:
            objects.append((number, None, Problem(None, f"这一行不是合法的 JSON（第{getattr(error, 'colno', 1)}个字符处）",
                                                  "每行写一个 JSON 对象，例如 {\"日期\": \"2020-03-05\", ...}")))
            continue
        if not isinstance(value, dict):
            objects.append((number, None, Problem(None, "这一行不是 JSON 对象", "每行写一个 {…} 对象，键与 CSV 表头相同")))
            continue
        for key in value:
            if key not in seen:
                seen.add(key)
                header.append(key)
        objects.append((number, value, None))
    if not header:
        raise SourceError(f"{path}: 台账是空的，没有一行 JSON 对象")

    def records():
        for number, value, problem in objects:
            if value is None:
                yield number, [], problem
                continue
            cells = [_json_cell(value.get(key)) for key in header]
            yield number, cells, (_damage(cells) if damaged else None)

    return Table(str(path), header, _batched(records()), "jsonl", encoding)


def _batched(records) -> Iterator[Batch]:
    """(number, cells, problem) records, a batch at a time."""
    while True:
        chunk = list(islice(records, BATCH))
        if not chunk:
            return
        yield Batch([cells for _, cells, _ in chunk], [number for number, _, _ in chunk],
                    {i: problem for i, (_, _, problem) in enumerate(chunk) if problem is not None})


def _json_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# ---- XLSX ---------------------------------------------------------------------------------

def _xlsx(path: Path, sheet: str | None) -> Table:
    from openpyxl import load_workbook  # only when a workbook is read

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except OSError:
        raise                   # a missing or unreadable file: open_table says so in Chinese
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise SourceError(f"{path}: 不是可以读取的 .xlsx 文件（{type(error).__name__}）") from error
    worksheet = book.worksheets[0] if sheet is None else _sheet(book, sheet, path)
    rows = worksheet.iter_rows(values_only=True)
    first = next(rows, None)
    header = [_xlsx_cell(v) for v in (first or ())]
    while header and not header[-1]:
        header.pop()
    if not header:
        book.close()
        raise SourceError(f"{path}: 工作表「{worksheet.title}」是空的，第1行应当是表头")

    def records():
        try:
            for number, values in enumerate(rows, start=2):
                yield number, [_xlsx_cell(v) for v in values], None
        finally:
            book.close()

    return Table(f"{path}[{worksheet.title}]" if sheet else str(path), header, _batched(records()), "xlsx")


def _sheet(book, name: str, path: Path):
    if name in book.sheetnames:
        return book[name]
    if name.isdigit() and 1 <= int(name) <= len(book.sheetnames):
        return book.worksheets[int(name) - 1]
    from govrule.compiler.diagnostics import did_you_mean

    hint = did_you_mean(name, book.sheetnames) or "工作表有：" + "、".join(book.sheetnames)
    raise SourceError(f"{path}: 没有工作表「{name}」（{hint}）")


def _xlsx_cell(value) -> str:
    """A cell as the text a user would have typed: dates as ISO dates, 3.0 as 3."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _os_reason(error: OSError) -> str:
    import errno

    reasons = {errno.ENOENT: "文件不存在", errno.EACCES: "没有读取权限", errno.EISDIR: "这是一个目录，不是文件"}
    return reasons.get(error.errno, error.strerror or str(error))
