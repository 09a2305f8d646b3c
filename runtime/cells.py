"""Reading a ledger's cells as the policy names things: dates, numbers, units, events, levels,
publications, and the suspect row's reason for rejection.

The batch reader maps whole columns through the memos here, so each distinct cell value is read
once however many rows repeat it; a memo answers None (or BAD) for a cell that makes its row
suspect, and `CellChecker.check` then says why, in the order a drafter would fix things.
"""
from __future__ import annotations

import re
from datetime import date
from fractions import Fraction
from itertools import filterfalse

from govrule.compiler.diagnostics import did_you_mean
from govrule.compiler.ir import LEVELS
from govrule.compiler.lower import Plan
from govrule.compiler.normalize import normalize, normalize_all
from govrule.compiler.numerals import numeral_problem, parse_number

from .columns import (COUNT, DATE, EVENT, ITEM, ITEM_EVENTS, LENGTH, LEVEL, NAMES, POINTS, PUBLICATION,
                      REQUIRED, SHAPE, UNIT)
from .rows import Shape

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
BAD = object()           # a 字数 cell that is not a whole number
ONE = Fraction(1)


class Memo(dict):
    """A function remembered per distinct argument. In a hot `map`, pass its bound __getitem__:
    calling the memo itself goes through a slower slot. `spoiled` says whether it ever answered
    `suspect` (the answer that makes a row suspect, BAD unless said otherwise): until it has, no
    row needs looking for one."""

    def __init__(self, function, suspect: object = BAD) -> None:
        super().__init__()
        self.function = function
        self.suspect = suspect
        self.spoiled = False

    def __missing__(self, key):
        value = self[key] = self.function(key)
        if value is self.suspect:
            self.spoiled = True
        return value

    __call__ = dict.__getitem__


class CellChecker:
    """The policy's reading of a ledger's cells, each distinct value read once."""

    def __init__(self, plan: Plan, period: tuple[date, date]) -> None:
        self.plan = plan
        self.period = period
        self.units = plan.units
        self.events = {normalize(e): e for e in plan.events}
        self.subunits = plan.policy.subunits_count_for_parent
        # a ledger repeats a few hundred distinct cell values a million times: read each once.
        # The memos the batch reader maps columns through take raw cells and answer None (or
        # BAD) for a cell that makes its row suspect; `check` then says why.
        self.normal = Memo(normalize)
        self.parsed_dates = Memo(lambda text: _parse_date(text.strip()))
        self.numbers = Memo(_parse_number)
        self.tags_of = Memo(lambda text: frozenset(self.normal(t) for t in _TAG_SPLIT.split(text) if t.strip()))
        self.described = Memo(self._describe)
        self.dates = Memo(self._date_in_period, suspect=None)
        self.shapes = Memo(self._shape, suspect=None)
        self.lengths = Memo(self._length, suspect=BAD)
        self.codes: dict[str, str] = {}      # item codes as written -> normalised (see normal_codes)
        # 报送 rows dated outside the period still give their items 类别, 标记 and 字数
        self.outside: dict[str, tuple] = {}
        self._shape_memos: dict[tuple, Memo] = {}
        self.itemless: set[Shape] = set()    # shapes whose event needs no item
        self.submitting: set[Shape] = set()  # shapes of 报送 rows

    def normal_codes(self, items: list[str]) -> list[str]:
        """A batch's item codes normalised. Codes come back a few times each (报送, 采用, 批示):
        each is normalised once, and the new ones of a batch together (normalize_all)."""
        codes = self.codes
        new = list(filterfalse(codes.__contains__, dict.fromkeys(items)))
        if new:
            codes.update(zip(new, normalize_all(new)))
        return list(map(codes.__getitem__, items))

    def _date_in_period(self, text: str) -> date | None:
        when = self.parsed_dates(text)
        return when if when is not None and self.period[0] <= when <= self.period[1] else None

    def shapes_from(self, present: tuple[bool, ...]) -> Memo:
        """The shape memo for files that have these of the SHAPE columns (the others read as blank)."""
        memo = self._shape_memos.get(present)
        if memo is None:
            if all(present):
                memo = self.shapes
            else:
                def shape(cells: tuple, present=present) -> Shape | None:
                    given = iter(cells)
                    return self.shapes(tuple(next(given) if here else "" for here in present))
                memo = Memo(shape, suspect=None)
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
        return BAD if length is None or length.denominator != 1 else int(length)

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
                self.outside.setdefault(item, (unit, category, tags, None if length is BAD else length))
            return (DATE, f"日期 {when.isoformat()} 不在考核期 {self.period[0]} 至 {self.period[1]} 内",
                    "核对年份，或用 --period 指定考核年度")
        if problems[1]:
            return problems[1]
        if not item and event in ITEM_EVENTS:
            return ITEM, f"「{event}」必须写明信息编号", "同一条信息的报送、采用、批示用同一个编号"
        if problems[2]:
            return problems[2]
        if self.lengths(cells[LENGTH]) is BAD:
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
