"""Diagnostics: what a pass found, with a stable code, a Chinese message and a span.

Passes collect diagnostics and never print; the CLI renders them. Each code's template
lives here, beside the code, so that `docs/diagnostics.md` and the messages agree.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .span import Span

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_NAMES = {ERROR: "错误", WARNING: "警告", INFO: "提示"}

# code -> (severity, message template)
CATALOGUE: dict[str, tuple[str, str]] = {
    # GR0xx: the text does not parse
    "GR001": (ERROR, "无法理解「{text}」：{reason}"),
    "GR002": (ERROR, "这一行没有写完：{reason}"),
    "GR003": (ERROR, "无法读取政策文件：{reason}"),
    "GR004": (ERROR, "数字「{text}」{reason}"),
    "GR005": (ERROR, "日期「{text}」无法识别"),
    "GR006": (ERROR, "「{text}」无法识别：{reason}"),
    "GR007": (ERROR, "名次分「{text}」无法识别：{reason}"),
    "GR008": (ERROR, "「{text}」：下级单位只能写「计入本单位」"),
    "GR009": (WARNING, "注释要忽略的「{text}」{reason}"),
    # GR1xx: names
    "GR101": (ERROR, "「{text}」不是已声明的{kind}"),
    "GR102": (ERROR, "「{name}」未定义"),
    "GR103": (ERROR, "单位组没有「{name}」这一项数值"),
    "GR104": (ERROR, "「{name}」重复定义"),
    "GR105": (ERROR, "「{name}」不是计分项，无法统计信息数"),
    "GR106": (ERROR, "条款里没有可计分的事项：{text}"),
    "GR107": (ERROR, "「{name}」按{grain}计算，不能直接用在{context}的量里"),
    "GR108": (ERROR, "「{function}」{reason}"),
    "GR109": (ERROR, "「{name}」是计分项，不能按原名输出"),
    # GR2xx: declarations that contradict themselves
    "GR201": (WARNING, "单位「{unit}」同时出现在「{first}」和「{second}」两个单位组"),
    "GR202": (WARNING, "单位组「{group}」写明共{claimed}个单位，实际列出{listed}个"),
    "GR203": (WARNING, "「{name}」各项权重合计{total}，不是100%"),
    "GR204": (ERROR, "名次分「{table}」里「{group}」只写到第{listed}名，本组有{size}个单位，其余名次没有分值"),
    "GR205": (WARNING, "名次分「{table}」里「{group}」写了{listed}个名次加后{rest}名，共{total}名，本组实有{size}个单位"),
    "GR207": (WARNING, "指标「{node}」的分值是{weight}，下级指标合计{total}（{parts}）"),
    "GR208": (WARNING, "参数「{name}」没有被使用"),
    "GR209": (ERROR, "集合「{name}」的条件互相矛盾：{kind}既要是{first}，又要是{second}"),
    "GR210": (ERROR, "考核期的开始日期{start}晚于结束日期{end}"),
    "GR213": (WARNING, "声明了{kind}「{name}」，但没有一条规则用到它"),
    "GR206": (WARNING, "名次分「{table}」没有单位组「{group}」的分值，该组单位的名次分为空"),
    # GR3xx: how rules combine
    "GR301": (WARNING, "计分项「{block}」有{count}个加倍条件可能同时适用，但没有声明叠加方式"),
    "GR302": (WARNING, "计分项「{block}」里有条款可能匹配同一行，但没有声明同一行如何合并"),
    "GR303": (WARNING, "计分项「{block}」的信息可能被多次计分，但没有声明同一信息如何合并"),
    "GR304": (ERROR, "「{text}」看不出合并方式：{reason}"),
    "GR307": (WARNING, "「{publication}」只在{levels}，这一条写的是{written}，不会匹配任何行"),
    "GR308": (WARNING, "{event}行没有刊物，这一条写的刊物「{publication}」不会匹配任何行"),
    "GR305": (WARNING, "评选没有声明并列时怎么办，按「并列超出名额的都不选」处理"),
    "GR306": (ERROR, "「{text}」看不出并列规则：{reason}"),
    "GR309": (WARNING, "计分项「{block}」里这一条与第{line}行的条款适用于完全相同的行"),
    "GR310": (WARNING, "计分项「{block}」里这一条不会计分：取最具体的一条时，它适用的每一行都由第{line}行的条款计分"),
    "GR311": (WARNING, "「{cap}」不会起作用：{reason}"),
    "GR312": (WARNING, "{what}限定的日期{window}与考核期{start}至{end}没有重叠，不会匹配任何行"),
    # GR4xx: the dependency graph
    "GR401": (ERROR, "计算依赖形成循环：{cycle}"),
    "GR402": (WARNING, "结果「{name}」不取决于台账，也不取决于单位，每个单位都一样"),
}


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: str
    message: str
    span: Span
    hint: str | None = None
    related: tuple[Span, ...] = field(default=())

    def to_json(self) -> dict:
        data = {"code": self.code, "severity": self.severity, "message": self.message,
                "file": self.span.file, "line": self.span.line, "column": self.span.column,
                "end_line": self.span.end_line, "end_column": self.span.end_column}
        if self.hint:
            data["hint"] = self.hint
        if self.related:
            data["related"] = [{"file": s.file, "line": s.line, "column": s.column} for s in self.related]
        return data


class Diagnostics:
    """An append-only collection that every pass writes into."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self.silenced: list[Diagnostic] = []     # hidden by a 「# 忽略 GRxxx」 comment on their line

    def add(self, code: str, span: Span, hint: str | None = None,
            related: tuple[Span, ...] = (), **fields) -> Diagnostic:
        severity, template = CATALOGUE[code]
        diagnostic = Diagnostic(code, severity, template.format(**fields), span, hint, related)
        self.items.append(diagnostic)
        return diagnostic

    @property
    def has_errors(self) -> bool:
        return any(d.severity == ERROR for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.span.file, d.span.line, d.span.column, d.code))

    def filtered(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Diagnostic]:
        """The sorted diagnostics that `select` keeps (all when it is empty) and `ignore` drops.

        Both take codes or code prefixes (GR3, GR30, GR302), case-insensitively. When a code
        matches both, the longer prefix wins, and `ignore` wins a tie: `select=GR3, ignore=GR302`
        keeps every GR3xx but GR302, `select=GR302, ignore=GR3` keeps only GR302.
        """
        select, ignore = _prefixes(select), _prefixes(ignore)

        def kept(code: str) -> bool:
            chosen = max((len(p) for p in select if code.startswith(p)), default=-1 if select else 0)
            dropped = max((len(p) for p in ignore if code.startswith(p)), default=-1)
            return chosen >= 0 and chosen > dropped
        return [d for d in self.sorted() if kept(d.code)]


def unknown_prefixes(prefixes: Iterable[str]) -> list[str]:
    """The given codes or prefixes that match no code in the catalogue (for an option's error message)."""
    prefixes = list(prefixes)
    return [p for p, norm in zip(prefixes, _prefixes(prefixes)) if not any(c.startswith(norm) for c in CATALOGUE)]


def _prefixes(prefixes: Iterable[str]) -> list[str]:
    return [p.strip().upper() for p in prefixes]


def did_you_mean(word: str, candidates) -> str | None:
    """The closest candidate, as a Chinese hint, or None."""
    from difflib import get_close_matches

    pool = list(dict.fromkeys(candidates))
    matches = get_close_matches(word, pool, n=1, cutoff=0.5)
    if not matches:
        matches = [c for c in pool if c and (c in word or word in c)][:1]
    return f"是否指「{matches[0]}」？" if matches else None
