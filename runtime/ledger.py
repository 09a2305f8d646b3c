"""Read a ledger (台账) in the shared format and check every row against the plan.

Each data row ends up either as a `Row` ready to score or as a `Rejection` that says
file:row:column, why, and what was probably meant. Nothing is dropped without a word.
Row numbers are as a spreadsheet shows them: the header is row 1.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path

from govrule.compiler.diagnostics import did_you_mean
from govrule.compiler.ir import LEVELS
from govrule.compiler.lower import Plan
from govrule.compiler.normalize import normalize
from govrule.compiler.numerals import parse_number

# Chinese column name -> English alias
COLUMNS = {"日期": "date", "单位": "unit", "事项": "event", "信息编号": "item", "刊物": "publication",
           "级别": "level", "形式": "form", "类别": "category", "标记": "tags", "字数": "length",
           "数量": "count", "分值": "points", "备注": "note"}
REQUIRED = ("日期", "单位", "事项")
ITEM_EVENTS = ("报送", "采用", "批示")
_ALIASES = {**{k: k for k in COLUMNS}, **{v: k for k, v in COLUMNS.items()}}
_TAG_SPLIT = re.compile(r"[、;；,，\s]+")
_DATE_FORMS = (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
               re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"), re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"))


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
    row: int                 # spreadsheet row number (header = 1)
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
    column: str
    reason: str
    suggestion: str | None = None
    cells: tuple = ()

    def __str__(self) -> str:
        text = f"{self.file}:{self.row}:{self.column}: {self.reason}"
        return text + (f"（{self.suggestion}）" if self.suggestion else "")


@dataclass
class Ledger:
    rows: list[Row] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    total: int = 0


def read_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM), else GB18030 as Excel writes on Chinese Windows."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def read_ledger(paths, plan: Plan, period: tuple[date, date]) -> Ledger:
    """Read one or more ledger files and validate every row against the plan."""
    ledger = Ledger()
    checker = _RowChecker(plan, period)
    for path in paths:
        path = Path(path)
        try:
            text = read_text(path)
        except OSError as error:
            raise LedgerError(f"{path}: 无法读取台账：{error.strerror or error}") from error
        csv.field_size_limit(1 << 30)  # a long 备注 is still a row
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if not header:
            raise LedgerError(f"{path}: 台账是空的，第1行应当是表头")
        columns = _columns(header, str(path), ledger)
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            ledger.total += 1
            record = {name: (cells[i].strip() if i < len(cells) else "") for name, i in columns.items()}
            result = checker.check(record, str(path), number)
            if isinstance(result, Rejection):
                ledger.rejected.append(result)
            else:
                ledger.rows.append(result)
    _inherit_item_cells(ledger.rows)
    return ledger


def _columns(header: list[str], file: str, ledger: Ledger) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _ALIASES.get(normalize(name).lower()) or _ALIASES.get(normalize(name))
        if key is None:
            ledger.notices.append(f"{file}: 第{index + 1}列「{name}」不是台账的列，已保留并忽略")
        elif key not in columns:
            columns[key] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise LedgerError(f"{file}:1: 表头缺少必需的列「{'」「'.join(missing)}」")
    return columns


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
        self.unit_of = _Memo(self._unit)
        self.tags_of = _Memo(lambda text: frozenset(self.normal(t) for t in _TAG_SPLIT.split(text) if t.strip()))

    def check(self, cells: dict[str, str], file: str, row: int) -> Row | Rejection:
        def reject(column: str, reason: str, suggestion: str | None = None) -> Rejection:
            return Rejection(file, row, column, reason, suggestion, tuple(cells.items()))

        for column in REQUIRED:
            if not cells.get(column):
                return reject(column, f"缺少必填的「{column}」")
        when = self.dates(cells["日期"])
        if when is None:
            return reject("日期", f"日期「{cells['日期']}」无法识别或不存在", "写成 2020-03-05、2020/3/5 或 2020年3月5日")
        if not (self.period[0] <= when <= self.period[1]):
            return reject("日期", f"日期 {when.isoformat()} 不在考核期 {self.period[0]} 至 {self.period[1]} 内",
                          "核对年份，或用 --period 指定考核年度")
        unit, sub_unit, problem = self.unit_of(cells["单位"])
        if problem:
            return reject("单位", *problem)
        event = self.events.get(self.normal(cells["事项"]))
        if event is None:
            return reject("事项", f"事项「{cells['事项']}」不是政策声明的事项",
                          did_you_mean(normalize(cells["事项"]), list(self.events)))
        level = None
        if cells.get("级别"):
            level = self.normal(cells["级别"])
            if level not in LEVELS:
                hint = next((f"是否指「{lv}」？" for lv in LEVELS if lv in level), "级别只能是 国家、省、市、县")
                return reject("级别", f"级别「{cells['级别']}」不是 国家、省、市、县 之一", hint)
        elif event in ("采用", "批示"):
            return reject("级别", f"「{event}」必须写明级别", "填 国家、省、市 或 县")
        item = cells.get("信息编号") or None
        if item is None and event in ITEM_EVENTS:
            return reject("信息编号", f"「{event}」必须写明信息编号", "同一条信息的报送、采用、批示用同一个编号")
        publication = None
        if cells.get("刊物"):
            name = self.normal(cells["刊物"])
            publication = self.plan.publications.get(name, name)
        elif event == "采用":
            return reject("刊物", "「采用」必须写明刊物")
        numbers = {}
        for column in ("字数", "数量", "分值"):
            text = cells.get(column, "")
            if not text:
                continue
            value = self.numbers(text)
            if value is None or value < 0:
                return reject(column, f"「{column}」应当是不小于0的数，「{text}」不是", "只填数字，例如 3")
            numbers[column] = value
        tags = self.tags_of(cells.get("标记", ""))
        return Row(file, row, when, unit, event, item, publication, level,
                   self.normal(cells["形式"]) if cells.get("形式") else None,
                   self.normal(cells["类别"]) if cells.get("类别") else None,
                   tags, int(numbers["字数"]) if "字数" in numbers else None,
                   numbers.get("数量", ONE), numbers.get("分值"), sub_unit)

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


def _parse_date(text: str) -> date | None:
    text = normalize(text).replace(" ", "")
    text = text.split("T")[0].split(" ")[0]
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


def _parse_number(text: str) -> Fraction | None:
    try:
        return parse_number(normalize(text))
    except (ValueError, ZeroDivisionError):
        return None


def _inherit_item_cells(rows: list[Row]) -> None:
    """An item's 类别, 标记 and 字数 come from its 报送 row when the row leaves them blank."""
    submitted = {r.item: r for r in rows if r.event == "报送" and r.item}
    for r in rows:
        source = submitted.get(r.item) if r.item else None
        if source is None or source is r:
            continue
        if r.category is None:
            r.category = source.category
        if not r.tags:
            r.tags = source.tags
        if r.length is None:
            r.length = source.length
