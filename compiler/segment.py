"""Split a clause phrase against the policy's vocabulary: 被省政府工作快报专期采用 -> a row pattern.

The phrase is written as the document writes it, with no spaces or brackets needed. It is
cut into the fewest known words (levels, publications, forms, categories, tags, events,
groups) and connecting words (被、以、形式、的 …); whatever cannot be cut is reported with
the closest declared name.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .diagnostics import Diagnostics, did_you_mean
from .ir import LEVELS, ItemCondition, RowPattern
from .normalize import normalize, to_simplified
from .span import Span

EVENT, LEVEL, ABOVE, PUBLICATION, FORM, CATEGORY, TAG, GROUP, ADOPTED, NEGATION, OTHER, FILLER = (
    "事项", "级别", "以上", "刊物", "形式", "类别", "标记", "单位组", "已采用", "否定", "其他", "虚词")

BUILTIN_EVENTS = {"报送": ("报送", "上报", "报"), "采用": ("采用", "录用", "刊用", "刊发"), "批示": ("批示",)}
FIXED_WORDS = {
    ABOVE: ("以上", "及以上", "或以上"),
    ADOPTED: ("已采用", "已被采用", "采用过"),
    NEGATION: ("非", "不含", "无", "没有", "不属于"),
    OTHER: ("其他", "其它"),
    FILLER: ("被", "以", "形式", "的", "信息", "工作", "领导", "政府", "类", "文章", "刊物", "有效",
             "各级", "凡", "作出", "获", "得到", "、", "或", "和", "及", "与", "并", "中", "之", "所",
             "经", "是", "为", "级", "上", "任务", "事项", "条", "篇", "期", "情况", "内容", "含",
             "(", ")", "者", "单位", "获得", "给予"),
}
_NAMED_KIND = {PUBLICATION: "刊物", FORM: "形式", CATEGORY: "类别", TAG: "标记", EVENT: "事项",
               LEVEL: "级别", GROUP: "单位组"}


@dataclass
class Vocabulary:
    """Normalised surface -> (role, canonical value), plus what suggestions draw on."""
    words: dict[str, tuple[str, str]] = field(default_factory=dict)
    longest: int = 1

    def add(self, surface: str, role: str, value: str) -> None:
        key = normalize(surface)
        if key and key not in self.words:
            self.words[key] = (role, value)
            self.longest = max(self.longest, len(key))

    def names(self, role: str | None = None) -> list[str]:
        return [w for w, (r, _) in self.words.items() if r != FILLER and (role is None or r == role)]


def default_vocabulary() -> Vocabulary:
    vocab = Vocabulary()
    for event, surfaces in BUILTIN_EVENTS.items():
        for surface in surfaces:
            vocab.add(surface, EVENT, event)
    for level in LEVELS:
        vocab.add(level, LEVEL, level)
    for role, surfaces in FIXED_WORDS.items():
        for surface in surfaces:
            vocab.add(surface, role, surface)
    return vocab


@dataclass(frozen=True)
class Token:
    role: str
    value: str
    start: int
    end: int


_BRACKETED = re.compile(r"《([^《》]*)》")


def segment(text: str, span: Span, vocab: Vocabulary, diagnostics: Diagnostics) -> RowPattern | None:
    """The row pattern a phrase names, or None after reporting what could not be read."""
    tokens = tokenize(text, span, vocab, diagnostics)
    if tokens is None:
        return None
    for before, after in zip(tokens, tokens[1:]):
        if before.role == NEGATION and after.role not in (FORM, CATEGORY, TAG):
            diagnostics.add("GR006", span.shifted(before.start, after.end - before.start),
                            text=text[before.start:after.end],
                            reason=f"「{before.value}」只能用在形式、类别或标记前，不能用在{_NAMED_KIND.get(after.role, after.role)}前",
                            hint="改写成肯定的说法，或为其余情形分别写条款")
            return None
    return assemble(tokens)


def tokenize(text: str, span: Span, vocab: Vocabulary, diagnostics: Diagnostics) -> list[Token] | None:
    norm = _normalize_keep_length(text)
    tokens: list[Token] = []
    ok = True
    position = 0
    for match in _BRACKETED.finditer(norm):
        ok &= _cut(norm, position, match.start(), span, vocab, diagnostics, tokens)
        name = normalize(match.group(1))
        entry = vocab.words.get(name)
        if entry and entry[0] == PUBLICATION:
            tokens.append(Token(PUBLICATION, entry[1], match.start(), match.end()))
        else:
            ok = False
            diagnostics.add("GR101", span.shifted(match.start(), match.end() - match.start()),
                            hint=did_you_mean(name, vocab.names(PUBLICATION)), text=match.group(1), kind="刊物")
        position = match.end()
    ok &= _cut(norm, position, len(norm), span, vocab, diagnostics, tokens)
    return tokens if ok else None


def _normalize_keep_length(text: str) -> str:
    """Normalise character by character where a whole-string conversion would shift columns."""
    whole = normalize_phrase(text)
    if len(whole) == len(text):
        return whole
    return "".join(normalize_phrase(ch) or ch for ch in text)


def normalize_phrase(text: str) -> str:
    """Fold width and script, but keep 《》 and length, so that columns stay true."""
    folded = unicodedata.normalize("NFKC", text)
    return folded if folded.isascii() else to_simplified(folded)


_UNKNOWN_COST = 1000


def _cut(norm: str, begin: int, end: int, span: Span, vocab: Vocabulary,
         diagnostics: Diagnostics, out: list[Token]) -> bool:
    """Cut norm[begin:end] into the fewest words; report unknown runs. True when all is known."""
    if begin >= end:
        return True
    n = end - begin
    best: list[tuple[int, int, tuple[str, str] | None]] = [(0, 0, None)] + [(1 << 30, 0, None)] * n
    for i in range(n):
        cost_here = best[i][0]
        if cost_here >= 1 << 30:
            continue
        if norm[begin + i].isspace():
            if cost_here < best[i + 1][0]:
                best[i + 1] = (cost_here, 1, (FILLER, " "))
            continue
        for length in range(1, min(vocab.longest, n - i) + 1):
            entry = vocab.words.get(norm[begin + i:begin + i + length])
            if entry:
                cost = cost_here + (11 if entry[0] == FILLER else 10)
                if cost < best[i + length][0]:
                    best[i + length] = (cost, length, entry)
        cost = cost_here + _UNKNOWN_COST
        if cost < best[i + 1][0]:
            best[i + 1] = (cost, 1, None)
    pieces = []
    i = n
    while i > 0:
        _, length, entry = best[i]
        pieces.append((i - length, i, entry))
        i -= length
    pieces.reverse()
    ok = True
    run_start = None
    for start, stop, entry in pieces + [(n, n, ("end", ""))]:
        if entry is None:
            run_start = start if run_start is None else run_start
            continue
        if run_start is not None:
            ok = False
            _report_unknown(norm, begin + run_start, begin + start, begin, end, span, vocab, diagnostics)
            run_start = None
        if entry[0] not in ("end", FILLER):
            out.append(Token(entry[0], entry[1], begin + start, begin + stop))
    return ok


def _report_unknown(norm, start, stop, begin, end, span, vocab, diagnostics) -> None:
    word = norm[start:stop]
    # Fillers next to the unknown run are often part of the misspelled name (政府工做快报).
    wide = norm[max(begin, start - 2):min(end, stop + 2)]
    hint = did_you_mean(word, vocab.names()) or did_you_mean(wide, vocab.names())
    diagnostics.add("GR101", span.shifted(start, stop - start), hint=hint, text=word, kind="名称")


def assemble(tokens: list[Token]) -> RowPattern:
    sets: dict[str, set[str]] = {k: set() for k in (
        "events", "levels", "publications", "forms", "categories", "tags",
        "not_forms", "not_categories", "not_tags", "groups")}
    conditions: list[ItemCondition] = []
    negate = False
    for index, token in enumerate(tokens):
        role = token.role
        if role == NEGATION:
            negate = True
            continue
        if role == LEVEL:
            following = tokens[index + 1].role if index + 1 < len(tokens) else None
            if following == ABOVE:
                sets["levels"].update(LEVELS[:LEVELS.index(token.value) + 1])
            else:
                sets["levels"].add(token.value)
        elif role == ADOPTED:
            conditions.append(ItemCondition(True, RowPattern(events=frozenset({"采用"}))))
        elif role in (FORM, CATEGORY, TAG):
            key = {FORM: "forms", CATEGORY: "categories", TAG: "tags"}[role]
            sets[("not_" + key) if negate else key].add(token.value)
        elif role == EVENT:
            sets["events"].add(token.value)
        elif role == PUBLICATION:
            sets["publications"].add(token.value)
        elif role == GROUP:
            sets["groups"].add(token.value)
        negate = False
    return RowPattern(**{k: frozenset(v) for k, v in sets.items()}, item_conditions=tuple(conditions))
