"""How results and diagnostics look in a terminal and in JSON."""
from __future__ import annotations

import unicodedata
from fractions import Fraction

from govrule.compiler.diagnostics import SEVERITY_NAMES, Diagnostic


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def render_diagnostic(diagnostic: Diagnostic, source_lines: list[str]) -> str:
    """file:line:column: 级别 CODE message, then the source line with a caret, then the hint."""
    span = diagnostic.span
    head = f"{span.file}:{span.line}:{span.column}: {SEVERITY_NAMES[diagnostic.severity]} {diagnostic.code} {diagnostic.message}"
    lines = [head]
    if 0 < span.line <= len(source_lines):
        text = source_lines[span.line - 1].rstrip("\n")
        gutter = f"{span.line:>4} | "
        lines.append(gutter + text)
        start = max(span.column - 1, 0)
        stop = span.end_column - 1 if span.end_line == span.line and span.end_column > span.column else start + 1
        stop = min(max(stop, start + 1), max(len(text), start + 1))
        pad = display_width(text[:start])
        marks = max(display_width(text[start:stop]), 1)
        lines.append(" " * (len(gutter) - 2) + "| " + " " * pad + "^" * marks)
    if diagnostic.hint:
        lines.append(f"     提示：{diagnostic.hint}")
    for related in diagnostic.related:
        lines.append(f"     相关位置：{related.file}:{related.line}:{related.column}")
    return "\n".join(lines)


def json_value(value):
    """Exact until here: whole numbers print as integers, other fractions as decimals."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    return value


def text_value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(int(value))
        return f"{float(value):.4f}".rstrip("0").rstrip(".")
    if isinstance(value, dict):
        return " ".join(f"{k}:{text_value(v)}" for k, v in value.items())
    return str(value)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain aligned table that keeps Chinese columns straight."""
    widths = [max(display_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        return "  ".join(str(c) + " " * (w - display_width(str(c))) for c, w in zip(cells, widths)).rstrip()

    rule = "  ".join("─" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
