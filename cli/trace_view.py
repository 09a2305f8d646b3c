"""How a trace looks: an official's working sheet in Chinese, or JSON for other tools."""
from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

from govrule.runtime.trace import Node

from .render import json_value, text_value

_SIGNED = ("adjust", "when", "per_gap")
_WINDOW = 3          # units shown above and below this one in a group's ordering


def trace_text(nodes: list[Node], heading: str) -> str:
    lines = [heading]
    for node in nodes:
        lines.append("")
        _lines(node, 0, lines, None)
    return "\n".join(lines)


def trace_json(node: Node) -> dict:
    """{"label", "value", "children", "rule", "row"} plus how the value follows (op, role, …)."""
    data: dict = {"label": node.label, "value": json_value(node.value),
                  "children": [trace_json(c) for c in node.children]}
    if node.rule is not None:
        data["rule"] = {"file": node.rule.file, "line": node.rule.line}
    if node.row is not None:
        data["row"] = {"file": node.row.file, "row": node.row.row}
    if node.op is not None:
        data["op"] = node.op
    if node.role is not None:
        data["role"] = node.role
    for key, value in node.extra.items():
        data[key] = value.isoformat() if isinstance(value, date) else json_value(value)
    return data


def _lines(node: Node, depth: int, out: list[str], parent_op: str | None) -> None:
    pad = "  " * depth
    mark = ""
    if parent_op in ("and", "or") and isinstance(node.value, bool):
        mark = "✓ " if node.value else "✗ "
    if node.role == "context":
        mark = "· "
    out.append(pad + mark + _line(node))
    children = node.children
    if _is_ordering(node):
        children = _window(children)
        if len(children) < len(node.children):
            out.append(pad + f"  （共{len(node.children)}个，只列本单位前后各{_WINDOW}个）")
    for child in children:
        if _plain_number(child):
            continue
        if node.extra.get("ordering"):
            out.append(pad + "  " + _ordering_line(child, node.children.index(child) + 1))
            continue
        _lines(child, depth + 1, out, node.op)


def _line(node: Node) -> str:
    where = f"（{node.rule.file}:{node.rule.line}）" if node.rule is not None else ""
    note = f"〔{node.extra['note']}〕" if node.extra.get("note") else ""
    if node.row is not None:
        row = node.row
        source = f"{Path(row.file).name} 第{row.row}行"
        if node.role == "evidence":
            return f"依据 ← {source}：{node.label}"
        if node.rule is None:
            return f"{_signed(node.value)}  ← {source}：{node.label}"
        return f"{_signed(node.value)}  {node.label}{note}{where} ← {source}"
    if node.op in _SIGNED:
        return f"{_signed(node.value)}  {node.label}{where}"
    if node.role == "context" and node.value is None:
        return node.label
    formula = node.extra.get("formula")
    shown = f" ＝ {formula}" if formula and formula != node.label else ""
    equals = "：" if isinstance(node.value, bool) else " = "
    return f"{node.label}{equals}{text_value(node.value)}{note}{where}{shown}"


def _plain_number(node: Node) -> bool:
    """A constant written in the formula (the 0 in 条数 = 0): the line above already shows it."""
    return (not node.children and node.rule is None and node.row is None and node.role is None
            and node.label == text_value(node.value))


def _signed(value) -> str:
    if isinstance(value, Fraction):
        return ("+" if value > 0 else "") + text_value(value)
    return text_value(value)


def _is_ordering(node: Node) -> bool:
    return bool(node.extra.get("ordering")) and any(c.extra.get("self") for c in node.children)


def _window(children: list[Node]) -> list[Node]:
    at = next(i for i, c in enumerate(children) if c.extra.get("self"))
    return children[max(0, at - _WINDOW):at + _WINDOW + 1]


def _ordering_line(node: Node, place: int) -> str:
    flags = []
    if node.extra.get("self"):
        flags.append("本单位")
    if node.extra.get("pinned"):
        flags.append("置顶")
    if "selected" in node.extra:
        flags.append("入选" if node.extra["selected"] else "未入选")
    tail = f"（{'，'.join(flags)}）" if flags else ""
    return f"{place:>3}. {node.label} {text_value(node.value)}{tail}"
