"""Silencing comments: `# 忽略 GR202` at the end of a line hides that warning on that line.

The comment names one or more codes (separated by spaces, commas or 、), after 忽略 or
ignore, and may go on with the reason: `# 忽略 GR202：文件原文如此`. Only warnings can be
silenced. An error stops the policy from being scored, so hiding it would leave `eval`
refusing for no visible reason; a comment that names an error, or a code that does not
exist, is itself a warning (GR009), since otherwise a typo would silently silence nothing.
"""
from __future__ import annotations

import re
import unicodedata

from .diagnostics import CATALOGUE, ERROR, Diagnostics
from .span import Span

# Matched on the comment's text with full-width folded to half-width (：→: ，→, ＧＲ→GR).
_DIRECTIVE = re.compile(r"\s*(?:忽略|ignore)\s*:?\s*(?P<codes>[A-Za-z]{2}\d+(?:\s*[,、;\s]\s*[A-Za-z]{2}\d+)*)",
                        re.IGNORECASE)
_CODE = re.compile(r"[A-Za-z]{2}\d+")


def silence(source: str, file: str, diagnostics: Diagnostics) -> None:
    """Move the warnings that a comment on their first line names into `diagnostics.silenced`."""
    wanted: dict[int, set[str]] = {}
    for number, line in enumerate(source.replace("\r\n", "\n").split("\n"), start=1):
        for code, column in _named_codes(line):
            problem = _problem(code)
            if problem:
                span = Span(file, number, column, number, column + len(code))
                diagnostics.add("GR009", span, text=code, reason=problem[0], hint=problem[1])
            else:
                wanted.setdefault(number, set()).add(code)
    if not wanted:
        return
    kept = []
    for diagnostic in diagnostics.items:
        if diagnostic.severity != ERROR and diagnostic.code in wanted.get(diagnostic.span.line, ()):
            diagnostics.silenced.append(diagnostic)
        else:
            kept.append(diagnostic)
    diagnostics.items = kept


def _named_codes(line: str):
    """(code, column) for each code a silencing comment on this line names."""
    start = min((i for i in (line.find("#"), line.find("＃")) if i >= 0), default=-1)
    if start < 0:
        return
    comment = _fold(line[start + 1:])
    match = _DIRECTIVE.match(comment)
    if match is None:
        return
    for code in _CODE.finditer(match.group("codes")):
        yield code.group().upper(), start + 2 + match.start("codes") + code.start()


def _fold(text: str) -> str:
    """Full-width to half-width, one character for one, so that columns stay true."""
    folded = (unicodedata.normalize("NFKC", ch) for ch in text)
    return "".join(f if len(f) == 1 else ch for f, ch in zip(folded, text))


def _problem(code: str) -> tuple[str, str] | None:
    if code not in CATALOGUE:
        return "不是诊断代码", "代码写错了？诊断代码见 docs/diagnostics.md，形如 GR202"
    if CATALOGUE[code][0] == ERROR:
        return "是错误，错误不能忽略", "错误会使政策无法打分，要改正，不能用注释忽略"
    return None
