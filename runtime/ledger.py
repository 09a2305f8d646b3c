"""Read ledgers (台账) in the shared format and check every row against the plan.

Each data row ends up either in the ledger's columns (`rows.LedgerRows`), ready to score, or
as a `Rejection` that says file:row:column, why, and what was probably meant. Nothing is
dropped without a word. The files themselves (CSV, XLSX, JSONL) are read by `sources`.

The reader works a batch at a time, column by column: each column's cells go through a memo
of their distinct values in one `map`, so a million rows cost a few hundred conversions and
a few C-level passes. Only rows that something flags (a bad date, an unknown unit, a missing
item) are checked one by one, by the same code that writes their rejection.
"""
from __future__ import annotations

import gc
import operator
import re
from array import array
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from itertools import compress
from operator import itemgetter

from govrule.compiler.diagnostics import did_you_mean
from govrule.compiler.ir import LEVELS
from govrule.compiler.lower import Plan
from govrule.compiler.normalize import normalize
from govrule.compiler.numerals import numeral_problem, parse_number

from .rows import LedgerRows, Row, Shape
from .links import ItemLinks
from .parallel import side_by_side, workers
from .sources import Batch, SourceError, open_table

__all__ = ["COLUMNS", "Ledger", "LedgerError", "Rejection", "Row", "column_key", "read_ledger"]

# Chinese column name -> English alias, in the order the checker reads them
COLUMNS = {"日期": "date", "信息编号": "item", "单位": "unit", "事项": "event", "刊物": "publication",
           "级别": "level", "形式": "form", "类别": "category", "标记": "tags", "字数": "length",
           "数量": "count", "分值": "points", "备注": "note"}
DATE, ITEM, UNIT, EVENT, PUBLICATION, LEVEL, FORM, CATEGORY, TAGS, LENGTH, COUNT, POINTS, NOTE = range(13)
# the cells a Shape is read from, in the order _shape takes them
SHAPE = (UNIT, EVENT, PUBLICATION, LEVEL, FORM, CATEGORY, TAGS, COUNT, POINTS)
NAMES = tuple(COLUMNS)
REQUIRED = (DATE, UNIT, EVENT)
ITEM_EVENTS = ("报送", "采用", "批示")
_ALIASES = {**{k: k for k in COLUMNS}, **{v: k for k, v in COLUMNS.items()}}
_TAG_SPLIT = re.compile(r"[、;；,，\s]+")
_DATE_FORMS = (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
               re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"), re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"))
_TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_ARABIC = re.compile(r"^\d+(\.\d+)?$")
_CHINESE = re.compile(r"^[零〇一二两三四五六七八九十百千万]+$")
# a level written the way people say it -> the ledger's level
_LEVEL_WORDS = {"国家级": "国家", "中央": "国家", "国务院": "国家", "全国": "国家", "省级": "省", "省委": "省",
                "省政府": "省", "市级": "市", "地市": "市", "地级": "市", "市委": "市", "市政府": "市",
                "县级": "县", "区": "县", "区级": "县", "县委": "县", "县政府": "县", "本级": "县"}
_BAD = object()
_ROW = operator.attrgetter("row")
_ROW = operator.attrgetter("row")          # a 字数 cell that is not a whole number

ONE = Fraction(1)


class _Memo(dict):
    """A function remembered per distinct argument. In a hot `map`, pass its bound __getitem__:
    calling the memo itself goes through a slower slot."""

    def __init__(self, function) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, key):
        value = self[key] = self.function(key)
        return value

    __call__ = dict.__getitem__


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
    total: int = 0


def read_ledger(paths, plan: Plan, period: tuple[date, date], sheet: str | None = None, progress=None) -> Ledger:
    """Read one or more ledger files and validate every row against the plan.
    `progress`, when given, is called with the number of rows read since its last call."""
    # a million rows make many new objects, and they hold no cycles: no collections meanwhile.
    # What the reader keeps per row is freed before the collector is back on, so it never scans it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _read_all(paths, plan, period, sheet, progress)
    finally:
        if collecting:
            gc.enable()


def _read_all(paths, plan: Plan, period: tuple[date, date], sheet: str | None, progress) -> Ledger:
    ledger = Ledger()
    checker = _RowChecker(plan, period)
    links = ItemLinks(checker.submitting)
    for path in paths:
        try:
            table = open_table(path, sheet)
            _read_table(table, checker, links, ledger, progress)
        except SourceError as error:
            raise LedgerError(str(error)) from error
    links.finish(ledger.rows, checker.outside, ledger.notices)
    return ledger


# a file smaller than this is read in one process: forking and sending back cost more than they save
PARALLEL_MIN_CHARS = 4_000_000


def _read_table(table, checker: "_RowChecker", links: ItemLinks, ledger: Ledger, progress) -> None:
    file, header = table.file, table.header
    columns, spares = _columns(header, file, ledger, table.format == "jsonl")
    if table.encoding == "GB18030":
        ledger.notices.append(f"{file}: 按 GB18030 编码读取")
    ledger.rows.start_file(file)
    layout = _Layout(file, header, columns, spares, checker)
    big = table.text is not None and len(table.text) >= PARALLEL_MIN_CHARS
    parts = table.split(workers()) if big else None
    if parts is None:
        _read_part(table, layout, checker, links, ledger, progress)
        return

    def own(part) -> None:
        _read_part(part, layout, checker, links, ledger, progress)

    def work(part) -> dict:
        return _part_columns(part, layout, checker)

    for part, columns in side_by_side(parts, work, own):
        if columns is None:                 # the child failed: read its part here
            _read_part(part, layout, checker, links, ledger, progress)
        else:
            _take_part(columns, layout, checker, links, ledger, progress)


def _read_part(table, layout: "_Layout", checker: "_RowChecker", links, ledger: Ledger, progress) -> None:
    for batch in table.batches:
        _read_batch(batch, layout, checker, links, ledger)
        if progress is not None:
            progress(len(batch.rows))


class _NoLinks:
    """A part read in another process leaves its items to be linked by the parent, in ledger order."""

    @staticmethod
    def batch(start: int, shapes: list, items: list, lengths: list) -> None:
        pass


def _part_columns(table, layout: "_Layout", checker: "_RowChecker") -> dict:
    """A part read in a child process, as what the parent needs to take it: shapes as serial
    numbers of the raw cells that made them (the parent's memo turns those into its own Shape
    objects), dates and 字数 as serial numbers of their distinct values, item codes as one
    string (they hold no line breaks: the file was split at lines), rejections and 报送 rows
    outside the period as they are. Pickling a million small objects one by one would cost more
    than reading them."""
    part = Ledger()
    _read_part(table, layout, checker, _NoLinks, part, None)
    rows = part.rows
    raw = {shape: cells for cells, shape in layout.shapes.items() if shape is not None}
    return {"cells": list(raw.values()), "shapes": _serials(rows.shapes, raw),
            "dates": (list(days := dict.fromkeys(rows.dates)), _serials(rows.dates, days)),
            "lengths": (list(sizes := dict.fromkeys(rows.lengths)), _serials(rows.lengths, sizes)),
            "items": "\n".join(rows.items), "numbers": rows.numbers,
            "rejected": part.rejected, "total": part.total, "outside": checker.outside}


def _serials(values: list, distinct: dict) -> array:
    """Each value's place among the distinct values (a dict, in the order of its keys)."""
    place = dict(zip(distinct, range(len(distinct))))
    return array("i", map(place.__getitem__, values))


def _take_part(columns: dict, layout: "_Layout", checker: "_RowChecker", links: ItemLinks, ledger: Ledger,
               progress) -> None:
    shapes_of = list(map(layout.shapes.__getitem__, columns["cells"]))
    shapes = list(map(shapes_of.__getitem__, columns["shapes"]))
    days, serials = columns["dates"]
    dates = list(map(days.__getitem__, serials))
    sizes, serials = columns["lengths"]
    lengths = list(map(sizes.__getitem__, serials))
    items = columns["items"].split("\n") if shapes else []
    links.batch(len(ledger.rows), shapes, items, lengths)
    ledger.rows.extend(shapes, dates, items, lengths, columns["numbers"])
    ledger.rejected += columns["rejected"]
    ledger.total += columns["total"]
    for item, cells in columns["outside"].items():      # the earlier part's 报送 rows come first
        checker.outside.setdefault(item, cells)
    if progress is not None:
        progress(len(shapes))


class _Layout:
    """Where one file keeps the ledger's columns: C-level getters over its records."""

    def __init__(self, file: str, header: list[str], columns: list[int], spares, checker: "_RowChecker") -> None:
        self.file, self.header, self.columns, self.spares = file, header, columns, spares
        self.width = len(header)
        self.date = itemgetter(columns[DATE])
        self.item = itemgetter(columns[ITEM]) if columns[ITEM] >= 0 else None
        self.length = itemgetter(columns[LENGTH]) if columns[LENGTH] >= 0 else None
        present = tuple(columns[i] >= 0 for i in SHAPE)    # 单位 and 事项 always are: a tuple of two or more
        self.described = itemgetter(*(columns[i] for i in SHAPE if columns[i] >= 0))
        self.shapes = checker.shapes_from(present)

    def record(self, cells: list[str]) -> list[str]:
        """A record's ledger cells in NAMES order, stripped (for the row checker)."""
        return [cells[i].strip() if 0 <= i < len(cells) else "" for i in self.columns]

    def padded(self, cells: list[str]) -> list[str]:
        """A record as wide as the header (a rejection lists every column)."""
        return cells + [""] * (self.width - len(cells)) if len(cells) < self.width else cells

    def fill_spares(self, rows: list[list[str]]) -> None:
        """日期 and date both given: the first non-empty cell stands in the ledger column's place."""
        for cells in rows:
            for position, others in self.spares:
                main = self.columns[position]
                if not cells[main].strip():
                    cells[main] = next((cells[i] for i in others if cells[i].strip()), "")


def _read_batch(batch, layout: _Layout, checker: "_RowChecker", links: ItemLinks, ledger: Ledger) -> None:
    """One batch of records into the ledger's columns, or into rejections."""
    rows, numbers = batch.rows, batch.numbers
    if batch.problems:          # the garbled records are rejected first, then sorted in with the others
        mark = len(ledger.rejected)
        rows, numbers = _set_aside(rows, numbers, batch.problems, layout, ledger)
        _read_batch(Batch(rows, numbers), layout, checker, links, ledger)
        ledger.rejected[mark:] = sorted(ledger.rejected[mark:], key=_ROW)
        return
    try:
        if layout.spares:
            layout.fill_spares(rows)
        dates = list(map(checker.dates.__getitem__, map(layout.date, rows)))
        shapes = list(map(layout.shapes.__getitem__, map(layout.described, rows)))
        items = list(map(str.strip, map(layout.item, rows))) if layout.item else [""] * len(rows)
        lengths = list(map(checker.lengths.__getitem__, map(layout.length, rows))) if layout.length else [None] * len(rows)
    except IndexError:          # a short record (or a blank line): pad it and read the batch again
        rows, numbers = _set_aside(rows, numbers, {}, layout, ledger)
        return _read_batch(Batch(rows, numbers), layout, checker, links, ledger) if rows else None
    joined = "".join(items)
    if not (joined.isascii() and joined.isalnum()):    # plain codes are already normal
        items = [normalize(item) if item else item for item in items]
    # a row is suspect when any of its cells could not be read; the row checker says why
    suspect = None in dates or None in shapes or _BAD in lengths
    if not suspect and "" in items:     # rows without an item are fine unless their event needs one
        suspect = not checker.itemless.issuperset(compress(shapes, map(operator.not_, items)))
    ledger.total += len(rows)
    if suspect:
        shapes, dates, items, lengths, numbers = _keep_good(rows, numbers, dates, shapes, items, lengths,
                                                            layout, checker, ledger)
    links.batch(len(ledger.rows), shapes, items, lengths)
    ledger.rows.extend(shapes, dates, items, lengths, numbers)


def _keep_good(rows, numbers, dates, shapes, items, lengths, layout: _Layout, checker, ledger):
    """The columns without the rows that cannot be scored; those become rejections, saying why."""
    keep = []
    for position, (day, shape, item, length) in enumerate(zip(dates, shapes, items, lengths)):
        ok = day is not None and shape is not None and length is not _BAD and (item or shape.event not in ITEM_EVENTS)
        if not ok:
            if not "".join(rows[position]).strip():
                ledger.total -= 1                       # a blank line is not a row
            else:
                column, reason, suggestion = checker.check(layout.record(rows[position]))
                ledger.rejected.append(Rejection(layout.file, numbers[position], NAMES[column], reason, suggestion,
                                                 tuple(zip(layout.header, layout.padded(rows[position])))))
        keep.append(ok)
    return (list(compress(shapes, keep)), list(compress(dates, keep)), list(compress(items, keep)),
            list(compress(lengths, keep)), list(compress(numbers, keep)))


def _set_aside(rows, numbers, problems: dict, layout: _Layout, ledger: Ledger):
    """The records the file garbled become rejections; the others are padded to the header's width.
    Blank lines are dropped here, uncounted. Returns the remaining rows and their numbers."""
    kept, kept_numbers = [], []
    width = layout.width
    for position, (cells, number) in enumerate(zip(rows, numbers)):
        problem = problems.get(position)
        if problem is None and not "".join(cells).strip():
            continue
        if len(cells) != width:
            cells = (cells + [""] * width)[:width]
        if problem is not None:
            ledger.total += 1
            ledger.rejected.append(Rejection(layout.file, number, _column_name(layout.header, problem.column),
                                             problem.reason, problem.suggestion, tuple(zip(layout.header, cells))))
            continue
        kept.append(cells)
        kept_numbers.append(number)
    return kept, kept_numbers


def column_key(header: str) -> str | None:
    """The ledger column a header names (日期 for 日期 or date), or None for any other column."""
    name = normalize(header)
    return _ALIASES.get(name) or _ALIASES.get(name.lower())


def _column_name(header: list[str], index: int | None) -> str:
    if index is None:
        return "整行"
    name = header[index] if index < len(header) else f"第{index + 1}列"
    return column_key(name) or name


def _columns(header: list[str], file: str, ledger: Ledger, quiet: bool) -> tuple[list[int], list]:
    """For each ledger column in NAMES order, its index in this file's header (-1 when absent),
    and for a column given twice (日期 and date) the other indices to fall back on.
    `quiet`: JSONL objects may each spell the keys their own way, so that is no notice."""
    found: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        key = column_key(name)
        if key is None:
            if name.strip():
                ledger.notices.append(f"{file}: 第{index + 1}列「{name}」不是台账的列，已保留并忽略")
            continue
        if key in found and not quiet:
            first = found[key][0]
            ledger.notices.append(f"{file}: 第{index + 1}列「{name}」与第{first + 1}列「{header[first]}」是同一列，"
                                  "取其中第一个非空的格")
        found.setdefault(key, []).append(index)
    missing = [NAMES[c] for c in REQUIRED if NAMES[c] not in found]
    if missing:
        close = [did_you_mean(normalize(h), list(_ALIASES)) for h in header if column_key(h) is None]
        hint = next((h for h in close if h), None)
        raise LedgerError(f"{file}:1: 表头缺少必需的列「{'」「'.join(missing)}」" + (f"（{hint}）" if hint else ""))
    columns = [found[name][0] if name in found else -1 for name in NAMES]
    spares = [(position, found[name][1:]) for position, name in enumerate(NAMES) if len(found.get(name, ())) > 1]
    return columns, spares


class _RowChecker:
    def __init__(self, plan: Plan, period: tuple[date, date]) -> None:
        self.plan = plan
        self.period = period
        self.units = plan.units
        self.events = {normalize(e): e for e in plan.events}
        self.subunits = plan.policy.subunits_count_for_parent
        # a ledger repeats a few hundred distinct cell values a million times: read each once.
        # The memos the batch reader maps columns through take raw cells and answer None (or
        # _BAD) for a cell that makes its row suspect; `check` then says why.
        self.normal = _Memo(normalize)
        self.parsed_dates = _Memo(lambda text: _parse_date(text.strip()))
        self.numbers = _Memo(_parse_number)
        self.tags_of = _Memo(lambda text: frozenset(self.normal(t) for t in _TAG_SPLIT.split(text) if t.strip()))
        self.described = _Memo(self._describe)
        self.dates = _Memo(self._date_in_period)
        self.shapes = _Memo(self._shape)
        self.lengths = _Memo(self._length)
        # 报送 rows dated outside the period still give their items 类别, 标记 and 字数
        self.outside: dict[str, tuple] = {}
        self._shape_memos: dict[tuple, _Memo] = {}
        self.itemless: set[Shape] = set()    # shapes whose event needs no item
        self.submitting: set[Shape] = set()  # shapes of 报送 rows

    def _date_in_period(self, text: str) -> date | None:
        when = self.parsed_dates(text)
        return when if when is not None and self.period[0] <= when <= self.period[1] else None

    def shapes_from(self, present: tuple[bool, ...]) -> _Memo:
        """The shape memo for files that have these of the SHAPE columns (the others read as blank)."""
        memo = self._shape_memos.get(present)
        if memo is None:
            if all(present):
                memo = self.shapes
            else:
                def shape(cells: tuple, present=present) -> Shape | None:
                    given = iter(cells)
                    return self.shapes(tuple(next(given) if here else "" for here in present))
                memo = _Memo(shape)
            self._shape_memos[present] = memo
        return memo

    def _shape(self, cells: tuple) -> Shape | None:
        """The row's Shape, or None when any of these cells is a problem."""
        cells = tuple(c.strip() for c in cells)
        unit, sub_unit, event, level, publication, form, category, tags, problems = self.described(cells[:7])
        if any(problems):
            return None
        count = points = None
        if cells[7]:
            count = self.numbers(cells[7])
            if count is None or count.denominator != 1:
                return None
        if cells[8]:
            points = self.numbers(cells[8])
            if points is None:
                return None
        shape = Shape(unit, sub_unit, event, level, publication, form, category, tags,
                      ONE if count is None else count, points)
        if event not in ITEM_EVENTS:
            self.itemless.add(shape)
        if event == "报送":
            self.submitting.add(shape)
        return shape

    def _length(self, text: str):
        text = text.strip()
        if not text:
            return None
        length = self.numbers(text)
        return _BAD if length is None or length.denominator != 1 else int(length)

    def check(self, cells: list[str]):
        """(column, reason, suggestion): why a suspect row cannot be scored. `cells` are stripped, in
        NAMES order. Problems are reported in the order a drafter would fix them."""
        for column in REQUIRED:
            if not cells[column]:
                return column, f"缺少必填的「{NAMES[column]}」", None
        when = self.parsed_dates(cells[DATE])
        if when is None:
            serial = cells[DATE].isdigit() and len(cells[DATE]) == 5    # 43895: a date cell that lost its format
            return DATE, f"日期「{cells[DATE]}」无法识别或不存在", (
                "这像是 Excel 的日期序号：把这一列的单元格格式设为日期再导出" if serial
                else "写成 2020-03-05、2020/3/5 或 2020年3月5日")
        unit, sub_unit, event, level, publication, form, category, tags, problems = \
            self.described(tuple(cells[i] for i in SHAPE[:7]))
        if problems[0]:
            return problems[0]
        item = normalize(cells[ITEM]) if cells[ITEM] else ""
        if not (self.period[0] <= when <= self.period[1]):
            if event == "报送" and item:
                length = self.lengths(cells[LENGTH])
                self.outside.setdefault(item, (unit, category, tags, None if length is _BAD else length))
            return (DATE, f"日期 {when.isoformat()} 不在考核期 {self.period[0]} 至 {self.period[1]} 内",
                    "核对年份，或用 --period 指定考核年度")
        if problems[1]:
            return problems[1]
        if not item and event in ITEM_EVENTS:
            return ITEM, f"「{event}」必须写明信息编号", "同一条信息的报送、采用、批示用同一个编号"
        if problems[2]:
            return problems[2]
        if self.lengths(cells[LENGTH]) is _BAD:
            return LENGTH, f"「字数」应当是不小于0的整数，「{cells[LENGTH]}」不是", "只填数字，例如 1200"
        if cells[COUNT]:
            count = self.numbers(cells[COUNT])
            if count is None or count.denominator != 1:
                return COUNT, f"「数量」应当是不小于0的整数，「{cells[COUNT]}」不是", "只填次数，例如 3"
        if cells[POINTS] and self.numbers(cells[POINTS]) is None:
            return POINTS, f"「分值」应当是不小于0的数，「{cells[POINTS]}」不是", "只填数字，例如 8 或 7.5"
        raise AssertionError(cells)  # pragma: no cover - the batch reader flags only rows with a problem

    def _describe(self, cells: tuple):
        """The descriptive cells (单位 … 标记) read once per distinct combination: the policy's names
        and three problems, reported in order (unit or event; level; publication) around the date check."""
        unit_cell, event_cell, publication_cell, level_cell, form, category, tags = cells
        unit, sub_unit, problem = self._unit(unit_cell)
        event = self.events.get(self.normal(event_cell))
        early = level_problem = publication_problem = None
        if problem:
            early = (UNIT, *problem)
        elif event is None:
            early = (EVENT, f"事项「{event_cell}」不是政策声明的事项", did_you_mean(self.normal(event_cell), list(self.events)))
        level = None
        if level_cell:
            level, problem = self._level(level_cell)
            level_problem = (LEVEL, *problem) if problem else None
        elif event in ("采用", "批示"):
            level_problem = LEVEL, f"「{event}」必须写明级别", "填 国家、省、市 或 县"
        publication = None
        if publication_cell:
            name = self.normal(publication_cell)
            publication = self.plan.publications.get(name, name)
        elif event == "采用":
            publication_problem = PUBLICATION, "「采用」必须写明刊物", "照刊物上印的名称填写，例如 政府工作快报"
        return (unit, sub_unit, event, level, publication, self.normal(form) if form else None,
                self.normal(category) if category else None, self.tags_of(tags),
                (early, level_problem, publication_problem))

    def _unit(self, text: str):
        name = normalize(text)
        unit = self.units.get(name)
        if unit:
            return unit, None, None
        if "/" in name:
            parent, _, child = name.partition("/")
            unit = self.units.get(parent.strip())
            if unit and self.subunits:
                return unit, child.strip(), None
            if unit:
                return None, None, (f"「{text}」是下级单位，政策没有规定下级单位计入上级",
                                    "若政策规定二级机构计入本单位，在政策中写「下级单位计入上级单位」")
        return None, None, (f"单位「{text}」不在政策中", did_you_mean(name, list(self.units)))

    def _level(self, text: str):
        level = normalize(text)
        if level in LEVELS:
            return level, None
        meant = _LEVEL_WORDS.get(level) or next((lv for lv in LEVELS if lv in level), None)
        hint = f"是否指「{meant}」？" if meant else "级别只能是 国家、省、市、县"
        return None, (f"级别「{text}」不是 国家、省、市、县 之一", hint)


def _parse_date(text: str) -> date | None:
    """2020-03-05, 2020/3/5, 2020年3月5日 or 2020.3.5, with or without a time of day after it."""
    text = normalize(text)
    if "T" in text:
        text = text.split("T", 1)[0]
    parts = text.split()
    if len(parts) == 2 and _TIME.match(parts[1]):
        text = parts[0]
    elif len(parts) > 1:
        text = "".join(parts)           # 2020年 3月 5日
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


def _parse_number(text: str) -> Fraction | None:
    """A plain decimal (3, 7.5, full-width digits too) or a standard Chinese numeral (三, 十二);
    nothing else: 一百五 could mean 105 or 150, so it is rejected rather than guessed."""
    text = normalize(text)
    if not (_ARABIC.match(text) or (_CHINESE.match(text) and numeral_problem(text) is None)):
        return None
    try:
        return parse_number(text)
    except (ValueError, ZeroDivisionError):
        return None
