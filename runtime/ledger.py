"""Read ledgers (台账) in the shared format and check every row against the plan.

Each data row ends up either as a `Row` ready to score or as a `Rejection` that says
file:row:column, why, and what was probably meant. Nothing is dropped without a word.
The files themselves (CSV, XLSX, JSONL) are read by `sources`.
"""
from __future__ import annotations

import gc
import re
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from operator import itemgetter

from govrule.compiler.diagnostics import did_you_mean
from govrule.compiler.ir import LEVELS
from govrule.compiler.lower import Plan
from govrule.compiler.normalize import normalize
from govrule.compiler.numerals import numeral_problem, parse_number

from .sources import SourceError, open_table

# Chinese column name -> English alias, in the order the checker reads them
COLUMNS = {"日期": "date", "信息编号": "item", "单位": "unit", "事项": "event", "刊物": "publication",
           "级别": "level", "形式": "form", "类别": "category", "标记": "tags", "字数": "length",
           "数量": "count", "分值": "points", "备注": "note"}
DATE, ITEM, UNIT, EVENT, PUBLICATION, LEVEL, FORM, CATEGORY, TAGS, LENGTH, COUNT, POINTS, NOTE = range(13)
SHAPE = slice(UNIT, TAGS + 1)   # the cells that describe a row; a ledger has few distinct combinations
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

ONE = Fraction(1)


class _Memo(dict):
    """A function remembered per distinct argument."""

    def __init__(self, function) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, key):
        value = self[key] = self.function(key)
        return value

    __call__ = dict.__getitem__


class LedgerError(Exception):
    """The file cannot be read as a ledger at all (no such file, no header, missing column)."""


@dataclass(slots=True)
class Row:
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
    rows: list[Row] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    total: int = 0


def read_ledger(paths, plan: Plan, period: tuple[date, date], sheet: str | None = None, progress=None) -> Ledger:
    """Read one or more ledger files and validate every row against the plan.
    `progress`, when given, is called with the number of rows read since its last call."""
    ledger = Ledger()
    checker = _RowChecker(plan, period)
    # a million new rows would trigger full garbage collections that walk every row so far,
    # and rows hold no cycles: collect once at the end instead
    collecting = gc.isenabled()
    gc.disable()
    try:
        for path in paths:
            try:
                table = open_table(path, sheet)
                _read_table(table, checker, ledger, progress)
            except SourceError as error:
                raise LedgerError(str(error)) from error
        _inherit_item_cells(ledger, checker.outside)
    finally:
        if collecting:
            gc.enable()
    return ledger


def _read_table(table, checker: "_RowChecker", ledger: Ledger, progress) -> None:
    file, header = table.file, table.header
    columns, spares = _columns(header, file, ledger, table.format == "jsonl")
    if table.encoding == "GB18030":
        ledger.notices.append(f"{file}: 按 GB18030 编码读取")
    width = len(header)
    # one C-level call picks a row's ledger cells; a column the file lacks reads the padding cell
    pick = itemgetter(*(i if i >= 0 else width for i in columns))
    pending = 0
    for number, cells, problem in table.records:
        if progress is not None:
            pending += 1
            if pending == 4096:
                progress(pending)
                pending = 0
        if problem is None and not "".join(cells).strip():
            continue                                     # a blank line is not a row
        ledger.total += 1
        if problem is not None:
            column = _column_name(header, problem.column)
            ledger.rejected.append(Rejection(file, number, column, problem.reason, problem.suggestion,
                                             tuple(zip(header, cells))))
            continue
        if len(cells) != width:
            cells = (cells + [""] * width)[:width]
        cells.append("")
        record = [c.strip() for c in pick(cells)]
        for position, others in spares:                  # 日期 and date both given: the first non-empty
            if not record[position]:
                record[position] = next((cells[i].strip() for i in others if cells[i].strip()), "")
        result = checker.check(record, file, number)
        if type(result) is Row:
            ledger.rows.append(result)
        else:
            column, reason, suggestion = result
            ledger.rejected.append(Rejection(file, number, NAMES[column], reason, suggestion,
                                             tuple(zip(header, cells))))
    if progress is not None and pending:
        progress(pending)


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
        # a ledger repeats a few hundred distinct cell values a million times: read each once
        self.normal = _Memo(normalize)
        self.dates = _Memo(_parse_date)
        self.numbers = _Memo(_parse_number)
        self.tags_of = _Memo(lambda text: frozenset(self.normal(t) for t in _TAG_SPLIT.split(text) if t.strip()))
        self.shape_of = _Memo(self._shape)
        # 报送 rows dated outside the period still give their items 类别, 标记 and 字数
        self.outside: dict[str, tuple] = {}

    def check(self, cells: list[str], file: str, row: int):
        """A Row, or (column, reason, suggestion) for a row that cannot be scored."""
        for column in REQUIRED:
            if not cells[column]:
                return column, f"缺少必填的「{NAMES[column]}」", None
        when = self.dates(cells[DATE])
        if when is None:
            serial = cells[DATE].isdigit() and len(cells[DATE]) == 5    # 43895: a date cell that lost its format
            return DATE, f"日期「{cells[DATE]}」无法识别或不存在", (
                "这像是 Excel 的日期序号：把这一列的单元格格式设为日期再导出" if serial
                else "写成 2020-03-05、2020/3/5 或 2020年3月5日")
        unit, sub_unit, event, level, publication, form, category, tags, problems = self.shape_of(tuple(cells[SHAPE]))
        if problems[0]:
            return problems[0]
        item = cells[ITEM]
        # item codes are nearly all distinct, so a memo would only grow; a plain code is already normal
        item = (item if item.isascii() and item.isalnum() else normalize(item) or None) if item else None
        if not (self.period[0] <= when <= self.period[1]):
            if event == "报送" and item:
                self.outside.setdefault(item, (unit, category, tags,
                                               self.numbers(cells[LENGTH]) if cells[LENGTH] else None))
            return (DATE, f"日期 {when.isoformat()} 不在考核期 {self.period[0]} 至 {self.period[1]} 内",
                    "核对年份，或用 --period 指定考核年度")
        if problems[1]:
            return problems[1]
        if item is None and event in ITEM_EVENTS:
            return ITEM, f"「{event}」必须写明信息编号", "同一条信息的报送、采用、批示用同一个编号"
        if problems[2]:
            return problems[2]
        length = count = points = None
        if cells[LENGTH]:
            length = self.numbers(cells[LENGTH])
            if length is None or length.denominator != 1:
                return LENGTH, f"「字数」应当是不小于0的整数，「{cells[LENGTH]}」不是", "只填数字，例如 1200"
        if cells[COUNT]:
            count = self.numbers(cells[COUNT])
            if count is None or count.denominator != 1:
                return COUNT, f"「数量」应当是不小于0的整数，「{cells[COUNT]}」不是", "只填次数，例如 3"
        if cells[POINTS]:
            points = self.numbers(cells[POINTS])
            if points is None:
                return POINTS, f"「分值」应当是不小于0的数，「{cells[POINTS]}」不是", "只填数字，例如 8 或 7.5"
        return Row(file, row, when, unit, event, item, publication, level, form, category, tags,
                   None if length is None else int(length), ONE if count is None else count, points, sub_unit)

    def _shape(self, cells: tuple):
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


def _inherit_item_cells(ledger: Ledger, outside: dict[str, tuple]) -> None:
    """An item's 类别, 标记 and 字数 come from its 报送 row when the row leaves them blank.
    A row whose unit differs from its item's 报送 row still counts for its own unit, with a notice."""
    submitted = {}
    for r in ledger.rows:
        if r.event == "报送" and r.item:
            submitted.setdefault(r.item, (r.unit, r.category, r.tags, r.length))
    for item, cells in outside.items():
        submitted.setdefault(item, cells)
    for r in ledger.rows:
        if r.item is None or r.event == "报送":
            continue
        source = submitted.get(r.item)
        if source is None:
            continue
        unit, category, tags, length = source
        if unit != r.unit:
            ledger.notices.append(f"{r.file}:{r.row}: 信息{r.item}由「{unit}」报送，这一行写的是「{r.unit}」；"
                                  f"按这一行的单位计分")
        if r.category is None:
            r.category = category
        if not r.tags:
            r.tags = tags
        if r.length is None:
            r.length = None if length is None else int(length)
