"""Results and rejected rows written as files an office can open: CSV and XLSX.

CSV files are written as UTF-8 with a BOM, so that Excel and WPS on Chinese Windows show the
characters without asking. XLSX cells hold real numbers, headers are Chinese, and the header
row is frozen.
"""
from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

from .render import display_width
from .report import Sheet, group_sheets, output_columns, period_sheet, row_sheet

EXCEL_MAX_ROWS = 1_048_576


def results_csv(results, plan) -> str:
    """Every unit on one table: its group, its place in the group, and every output."""
    columns = output_columns(results, plan)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["单位组", "序", "单位", *(header for header, _, _ in columns)])
    for sheet in group_sheets(results, plan):
        for row in sheet.rows:
            writer.writerow([sheet.title, *(_text(v) for v in row)])
    return buffer.getvalue()


def write_results_xlsx(results, plan, path: str | Path, traces: dict | None = None) -> None:
    """One sheet per group, a sheet of per-period values when the policy has periods, a sheet
    of unmatched and rejected rows, and with --explain a sheet of every unit's scoring."""
    from openpyxl import Workbook  # only when a workbook is written

    book = Workbook()
    book.remove(book.active)
    book.properties.title = results.title
    sheets = group_sheets(results, plan)
    periods = period_sheet(results, plan)
    sheets += [periods] if periods else []
    sheets.append(row_sheet(results))
    if results.notices:
        sheets.append(Sheet("注意事项", ["注意事项"], [[n] for n in results.notices]))
    if traces is not None:
        sheets.append(_trace_sheet(results, traces))
    taken: set[str] = set()
    for sheet in sheets:
        _add_sheet(book, sheet, _sheet_title(sheet.title, taken))
    book.save(path)


def write_rejected(rejections, path: str | Path) -> None:
    """The rejected rows with their own cells, then where and why, so that an officer can fix
    them and read the file back in as a ledger (the reason columns are ignored then)."""
    headers: list[str] = []
    for rejection in rejections:
        for header, _ in rejection.cells:
            if header not in headers:
                headers.append(header)
    why = ["拒绝原因", "建议", "来源文件", "来源行", "出错列"]
    rows = []
    for rejection in rejections:
        cells = dict(rejection.cells)
        rows.append([*(cells.get(h, "") for h in headers), rejection.reason, rejection.suggestion or "",
                     rejection.file, rejection.row, rejection.column])
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        book.remove(book.active)
        _add_sheet(book, Sheet("拒绝的行", headers + why, rows), "拒绝的行")
        book.save(path)
        return
    with open(path, "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(headers + why)
        writer.writerows(rows)


def _add_sheet(book, sheet: Sheet, title: str) -> None:
    from openpyxl.styles import Font

    worksheet = book.create_sheet(title)
    worksheet.append(sheet.headers)
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    rows = sheet.rows
    if len(rows) >= EXCEL_MAX_ROWS:
        rows = rows[:EXCEL_MAX_ROWS - 2]
    for row in rows:
        worksheet.append([_excel(v) for v in row])
    if len(rows) < len(sheet.rows):
        worksheet.append([f"……另有 {len(sheet.rows) - len(rows)} 行超出 Excel 的行数上限，用 --format json 查看"])
    worksheet.freeze_panes = "A2"
    from openpyxl.utils import get_column_letter

    for index, header in enumerate(sheet.headers, 1):
        sample = [header, *(row[index - 1] for row in rows[:200] if index - 1 < len(row))]
        width = max(display_width(_text(v)) for v in sample)
        worksheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 6), 60)


def _trace_sheet(results, traces: dict) -> Sheet:
    from .trace_view import trace_text

    rows = []
    for unit in results.units:
        for line in trace_text(traces[unit.unit], f"{unit.unit}（{unit.group}）").splitlines():
            rows.append([unit.unit, line])
        rows.append(["", ""])
    return Sheet("计分过程", ["单位", "计分过程"], rows)


def _sheet_title(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'") or "表"
    clean = clean[:31]
    candidate, n = clean, 2
    while candidate in taken:
        suffix = f"({n})"
        candidate, n = clean[:31 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def _excel(value):
    """A cell value Excel stores as itself: numbers as numbers, flags as 是/否, none as empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Fraction):
        return str(int(value)) if value.denominator == 1 else repr(float(value))
    return str(value)
