"""Results as the tables an office sends out: one ranked table per group, per-period values,
and the rows that were not scored. The terminal, CSV and XLSX writers all draw on these.

Cells keep their exact values (Fraction, bool, None); each writer decides how to print them.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list]


def group_sheets(results, plan) -> list[Sheet]:
    """One table per group, in the policy's group order, ranked by the policy's rank output
    (or, when it has none, by its first numeric output, highest first)."""
    from govrule.compiler import ir

    outputs = [d.name for d in plan.policy.outputs]
    rank = next((d.name for d in plan.policy.outputs if isinstance(d.expr, ir.Rank) and d.grain is None), None)
    numeric = next((n for n in outputs if any(isinstance(u.results[n], Fraction) for u in results.units)), None)

    # ordering uses whole-period values only; a per-quarter rank or score is shown, not sorted on
    def order(u):
        if rank is not None:
            value = u.results[rank]
            return (value is None, value if value is not None else 0)
        value = u.results.get(numeric) if numeric else None
        return (value is None, -(value or 0))

    columns = output_columns(results, plan)
    sheets = []
    for group in plan.policy.groups:
        members = sorted((u for u in results.units if u.group == group.name), key=order)
        rows = [[i, u.unit, *(_cell(u, name, label) for _, name, label in columns)] for i, u in enumerate(members, 1)]
        sheets.append(Sheet(group.name, ["序", "单位", *(header for header, _, _ in columns)], rows))
    return sheets


def output_columns(results, plan) -> list[tuple[str, str, str | None]]:
    """(header, output, period label): a per-quarter (per-month) output takes one column per period."""
    columns = []
    for definition in plan.policy.outputs:
        name = definition.name
        sample = results.units[0].results[name] if results.units else None
        if isinstance(sample, dict):
            columns += [(f"{name}·{short_label(label)}", name, label) for label in sample]
        else:
            columns.append((name, name, None))
    return columns


def period_sheet(results, plan) -> Sheet | None:
    """Per-period outputs in long form (unit, period, values), or None when the policy has none."""
    names = [d.name for d in plan.policy.outputs
             if results.units and isinstance(results.units[0].results[d.name], dict)]
    if not names:
        return None
    labels = list(dict.fromkeys(label for u in results.units for n in names for label in u.results[n]))
    rows = [[u.group, u.unit, label, *(u.results[n].get(label) for n in names)]
            for u in results.units for label in labels]
    return Sheet("分期结果", ["单位组", "单位", "期间", *names], rows)


ROW_HEADERS = ["状态", "文件", "行", "列", "原因", "建议", "日期", "单位", "事项", "信息编号", "刊物", "级别",
               "形式", "类别", "标记", "数量"]


def row_sheet(results) -> Sheet:
    """Every row that no output counts (未匹配) or that was rejected (拒绝), with why."""
    rows = []
    for r in results.unmatched:
        rows.append(["未匹配", r.file, r.row, "", "没有规则计入这一行", "核对刊物、形式、类别是否与政策写法一致",
                     r.date.isoformat(), r.unit + (f"/{r.sub_unit}" if r.sub_unit else ""), r.event,
                     r.item or "", r.publication or "", r.level or "", r.form or "", r.category or "",
                     "、".join(sorted(r.tags)), r.count])
    for j in results.rejected:
        cells = _canonical(j.cells)
        rows.append(["拒绝", j.file, j.row, j.column, j.reason, j.suggestion or "",
                     *(cells.get(name, "") for name in ROW_HEADERS[6:])])
    return Sheet("未计分与拒绝", ROW_HEADERS, rows)


def _canonical(pairs) -> dict[str, str]:
    """A rejected row's cells keyed by the ledger's Chinese column names, whatever the header said."""
    from govrule.runtime.ledger import column_key

    cells: dict[str, str] = {}
    for header, value in pairs:
        cells.setdefault(column_key(header) or header, value)
    return cells


def _cell(unit, name: str, label: str | None):
    value = unit.results[name]
    return value.get(label) if label is not None else value


def short_label(label: str) -> str:
    """2018Q1 -> Q1, 2018-03 -> 3月."""
    if "Q" in label:
        return label[label.index("Q"):]
    if "-" in label:
        return f"{int(label.rsplit('-', 1)[1])}月"
    return label
