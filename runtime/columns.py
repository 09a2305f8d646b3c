"""The ledger's columns (ledger.md): their names and English aliases, and where a file keeps them."""
from __future__ import annotations

from govrule.compiler.diagnostics import did_you_mean
from govrule.compiler.normalize import normalize

from .rows import LedgerError

# Chinese column name -> English alias, in the order the reader keeps them
COLUMNS = {"日期": "date", "信息编号": "item", "单位": "unit", "事项": "event", "刊物": "publication",
           "级别": "level", "形式": "form", "类别": "category", "标记": "tags", "字数": "length",
           "数量": "count", "分值": "points", "备注": "note"}
DATE, ITEM, UNIT, EVENT, PUBLICATION, LEVEL, FORM, CATEGORY, TAGS, LENGTH, COUNT, POINTS, NOTE = range(13)
# the cells a Shape is read from, in the order CellChecker takes them
SHAPE = (UNIT, EVENT, PUBLICATION, LEVEL, FORM, CATEGORY, TAGS, COUNT, POINTS)
NAMES = tuple(COLUMNS)
REQUIRED = (DATE, UNIT, EVENT)
ITEM_EVENTS = ("报送", "采用", "批示")
_ALIASES = {**{k: k for k in COLUMNS}, **{v: k for k, v in COLUMNS.items()}}


def column_key(header: str) -> str | None:
    """The ledger column a header names (日期 for 日期 or date), or None for any other column."""
    name = normalize(header)
    return _ALIASES.get(name) or _ALIASES.get(name.lower())


def column_name(header: list[str], index: int | None) -> str:
    """How a rejection names the column at an index: the ledger's name, else the header as written."""
    if index is None:
        return "整行"
    name = header[index] if index < len(header) else f"第{index + 1}列"
    return column_key(name) or name


def locate(header: list[str], file: str, notices: list[str], quiet: bool) -> tuple[list[int], list]:
    """For each ledger column in NAMES order, its index in this file's header (-1 when absent),
    and for a column given twice (日期 and date) the other indices to fall back on.
    `quiet`: JSONL objects may each spell the keys their own way, so that is no notice."""
    found: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        key = column_key(name)
        if key is None:
            if name.strip():
                notices.append(f"{file}: 第{index + 1}列「{name}」不是台账的列，已保留并忽略")
            continue
        if key in found and not quiet:
            first = found[key][0]
            notices.append(f"{file}: 第{index + 1}列「{name}」与第{first + 1}列「{header[first]}」是同一列，"
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
