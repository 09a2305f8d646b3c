"""Split a clause phrase against the policy's vocabulary: 被省政府工作快报专期采用 -> a row pattern.

The phrase is written as the document writes it, with no spaces or brackets needed. It is
cut into the fewest known words (levels, publications, forms, categories, tags, events,
groups) and connecting words (被、以、形式、的 …); whatever cannot be cut is reported with
the closest declared name.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from .diagnostics import Diagnostics, did_you_mean
from .ir import LEVELS, ItemCondition, RowPattern
from .normalize import normalize, to_simplified
from .numerals import numeral_problem
from .span import Span

EVENT, LEVEL, ABOVE, PUBLICATION, FORM, CATEGORY, TAG, GROUP, ADOPTED, NEGATION, OTHER, FILLER = (
    "事项", "级别", "以上", "刊物", "形式", "类别", "标记", "单位组", "已采用", "否定", "其他", "虚词")
JOIN, SET, LIMIT = "并且", "集合", "限定"      # LIMIT: 满3周, 字数不少于1500, 2022年7月1日起 …

BUILTIN_EVENTS = {"报送": ("报送", "上报", "报"), "采用": ("采用", "录用", "刊用", "刊发"), "批示": ("批示",)}
FIXED_WORDS = {
    ABOVE: ("以上", "及以上", "或以上"),
    ADOPTED: ("已采用", "已被采用", "采用过"),
    NEGATION: ("非", "不含", "无", "没有", "不属于"),
    OTHER: ("其他", "其它"),
    JOIN: ("且", "并且", "并", "同时", "而且"),
    FILLER: ("被", "以", "形式", "的", "信息", "工作", "领导", "政府", "类", "文章", "刊物", "有效",
             "各级", "凡", "作出", "获", "得到", "、", "或", "和", "及", "与", "中", "之", "所",
             "经", "是", "为", "级", "上", "任务", "事项", "条", "篇", "期", "情况", "内容", "含",
             "(", ")", "者", "单位", "获得", "给予"),
}
_NAMED_KIND = {PUBLICATION: "刊物", FORM: "形式", CATEGORY: "类别", TAG: "标记", EVENT: "事项",
               LEVEL: "级别", GROUP: "单位组"}


@dataclass
class Vocabulary:
    """Normalised surface -> (role, canonical value), plus what suggestions draw on."""
    words: dict[str, tuple[str, str]] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)   # a word that is also an event kind (约稿)
    sets: dict[str, RowPattern] = field(default_factory=dict)   # 合格专报 -> its rows
    longest: int = 1

    def add(self, surface: str, role: str, value: str) -> None:
        key = normalize(surface)
        if key and key not in self.words:
            self.words[key] = (role, value)
            self.longest = max(self.longest, len(key))
        elif key and role == EVENT and self.words[key][0] != EVENT:
            self.events[key] = value

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
    pattern: RowPattern | None = None     # for a named set or a limit (满3周, 2022年7月1日起)


_NUMBER = r"(\d+|[一二两三四五六七八九十]+)"
# 《刊物》, or a measure of the row's 数量: 满3周, 3周及以上, 不少于2个月
_SPECIAL = re.compile(r"《(?P<publication>[^《》]*)》"
                      r"|(?P<date>\d{4})年(?P<month>\d{1,2})月(?P<day>\d{1,2})日(?P<side>起|以后|之后|后|以来|前|以前|之前|止)"
                      r"|字数(?:不少于|不低于|达到|达|满|≥|>=)?(?P<length>\d+)字?(?:以上|及以上)?"
                      r"|(?:满|达到|达|不少于|不低于|至少)" + _NUMBER.replace("(", "(?P<n1>", 1)
                      + r"个?(?:周|月|天|日|次|人|篇|条)(?:及以上|以上|或以上)?"
                      r"|" + _NUMBER.replace("(", "(?P<n2>", 1) + r"个?(?:周|月|天|日|次|人|篇|条)(?:及以上|以上|或以上)")


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
    if not any(t.role == EVENT for t in tokens):
        # 约稿 is a category and an event kind: a phrase that names no event means the event
        norm = _normalize_keep_length(text)
        for i, token in enumerate(tokens):
            word = norm[token.start:token.end]
            if word in vocab.events:
                tokens[i] = Token(EVENT, vocab.events[word], token.start, token.end)
                break
    return assemble(tokens)


def tokenize(text: str, span: Span, vocab: Vocabulary, diagnostics: Diagnostics) -> list[Token] | None:
    if not _title_marks_paired(text, span, diagnostics):
        return None
    norm = _normalize_keep_length(text)
    tokens: list[Token] = []
    ok = True
    position = 0
    for match in _SPECIAL.finditer(norm):
        ok &= _cut(norm, position, match.start(), span, vocab, diagnostics, tokens)
        position = match.end()
        if match.group("publication") is None:
            number = match.group("n1") or match.group("n2")
            problem = numeral_problem(number) if number else None
            limit = None if problem else _limit(match)
            if problem:
                ok = False
                diagnostics.add("GR004", span.shifted(match.start(), match.end() - match.start()), text=number,
                                reason=problem, hint="写成规范的中文数字，或者写阿拉伯数字，例如「满3周」")
            elif limit is None:
                ok = False
                diagnostics.add("GR005", span.shifted(match.start(), match.end() - match.start()), text=match.group())
            else:
                tokens.append(Token(LIMIT, match.group(), match.start(), match.end(), limit))
            continue
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


def _title_marks_paired(text: str, span: Span, diagnostics: Diagnostics) -> bool:
    """Every 《 has its 》: an unpaired one would otherwise be reported as an unknown name."""
    from .mistakes import describe

    opened = []
    for i, ch in enumerate(text):
        if ch == "《" and not opened:
            opened.append(i)
        elif ch == "》" and opened:
            opened.pop()
        elif ch in "《》":
            other = "》" if ch == "《" else "《"
            reason, hint = describe("unclosed-title-mark", text=ch, other=other)
            diagnostics.add("GR001", span.shifted(i, 1), hint=hint, text=ch, reason=reason)
            return False
    if opened:
        reason, hint = describe("unclosed-title-mark", text="《", other="》")
        diagnostics.add("GR001", span.shifted(opened[0], 1), hint=hint, text="《", reason=reason)
        return False
    return True


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
        if entry[0] == SET:
            out.append(Token(SET, entry[1], begin + start, begin + stop, vocab.sets[entry[1]]))
        elif entry[0] not in ("end", FILLER):
            out.append(Token(entry[0], entry[1], begin + start, begin + stop))
    return ok


def _report_unknown(norm, start, stop, begin, end, span, vocab, diagnostics) -> None:
    near = _misspelled(norm, start, stop, begin, end, vocab)
    if near is not None:
        (start, stop), name = near
        kind = _NAMED_KIND.get(vocab.words[name][0], "名称")
        diagnostics.add("GR101", span.shifted(start, stop - start), hint=f"是否指「{name}」？",
                        text=norm[start:stop], kind=kind)
        return
    word = norm[start:stop]
    hint = did_you_mean(word, vocab.names()) or "不是错字的话，先在【刊物】【形式】【类别】【标记】或【事项】里声明它"
    diagnostics.add("GR101", span.shifted(start, stop - start), hint=hint, text=word, kind="名称")


def _misspelled(norm, start, stop, begin, end, vocab, reach: int = 4):
    """The stretch around an unknown run that reads as a misspelled declared name, and that name.

    A typo splits a name into pieces that happen to be words (政府工做快报 -> 政府 工做快 报),
    so the neighbours of the unknown run are tried as part of it."""
    from difflib import SequenceMatcher

    names = [n for n in vocab.names() if len(n) > 1]
    best, found = 0.74, None
    for a in range(max(begin, start - reach), start + 1):
        for b in range(stop, min(end, stop + reach) + 1):
            window = norm[a:b]
            for name in names:
                if abs(len(name) - len(window)) > 2 or name in window:
                    continue               # a name read whole is no misspelling: the unknown run is extra
                ratio = SequenceMatcher(None, window, name).ratio()
                if ratio > best:
                    best, found = ratio, ((a, b), name)
    return found


def assemble(tokens: list[Token]) -> RowPattern:
    """The pattern of the first part; each part after 且/并 is a further row the item must have
    (被国家级采用并获国家级领导批示的: an adoption whose item also has a 国家 批示)."""
    parts: list[list[Token]] = [[]]
    for token in tokens:
        if token.role == JOIN:
            parts.append([])
        else:
            parts[-1].append(token)
    main = _assemble_part(parts[0])
    extra = [p for p in (_assemble_part(part) for part in parts[1:] if part)]
    for part in extra:
        if part.events and part.events != main.events:
            main = replace(main, item_conditions=main.item_conditions + (ItemCondition(True, part),))
        else:           # no other event: the words only narrow the row itself
            main = _merge(main, part)
    return main


def _limit(match: re.Match) -> RowPattern | None:
    """The row pattern of 满3周 / 字数不少于1500 / 2022年7月1日起 / 7月1日前; None for a date that does not exist."""
    if match.group("length"):
        return RowPattern(min_length=int(match.group("length")))
    if not match.group("date"):
        from .numerals import parse_number
        return RowPattern(min_amount=parse_number(match.group("n1") or match.group("n2")))
    try:
        day = date(int(match.group("date")), int(match.group("month")), int(match.group("day")))
    except ValueError:
        return None
    side = match.group("side")
    if side == "止":
        return RowPattern(date_until=day)
    if side in ("前", "以前", "之前"):            # 7月1日前 is up to 6月30日
        return RowPattern(date_until=day - timedelta(days=1))
    return RowPattern(date_from=day)


# Fields of a RowPattern that hold sets of names; the positive ones mean "one of these".
_KINDS = {"events": "事项", "levels": "级别", "publications": "刊物", "forms": "形式", "categories": "类别",
          "groups": "单位组"}
_NAME_FIELDS = (*_KINDS, "tags", "not_forms", "not_categories", "not_tags")


def contradiction(a: RowPattern, b: RowPattern) -> tuple[str, frozenset, frozenset] | None:
    """The first kind where both patterns name values and share none: no row can be in both."""
    for name, kind in _KINDS.items():
        x, y = getattr(a, name), getattr(b, name)
        if x and y and not x & y:
            return kind, x, y
    return None


def intersect(a: RowPattern, b: RowPattern) -> RowPattern:
    """Rows in both: where both name values of one kind, only the shared ones remain."""
    def both(name):
        x, y = getattr(a, name), getattr(b, name)
        return x & y if x and y else x | y
    return replace(_merge(a, b), **{f: both(f) for f in _KINDS})


def _merge(a: RowPattern, b: RowPattern) -> RowPattern:
    merged = {f: getattr(a, f) | getattr(b, f) for f in _NAME_FIELDS}

    def pick(name, choose):
        values = [v for v in (getattr(a, name), getattr(b, name)) if v is not None]
        return choose(values) if values else None

    return RowPattern(**merged, item_conditions=a.item_conditions + b.item_conditions,
                      min_amount=pick("min_amount", max), min_length=pick("min_length", max),
                      date_from=pick("date_from", max), date_until=pick("date_until", min))


def _assemble_part(tokens: list[Token]) -> RowPattern:
    sets: dict[str, set[str]] = {k: set() for k in _NAME_FIELDS}
    conditions: list[ItemCondition] = []
    negate = False
    extra = RowPattern()
    named_sets: list[RowPattern] = []
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
        elif role == LIMIT:
            extra = _merge(extra, token.pattern)
        elif role == SET:
            named_sets.append(token.pattern)
        negate = False
    own = RowPattern(**{k: frozenset(v) for k, v in sets.items()}, item_conditions=tuple(conditions))
    for named in named_sets:
        if own.events and named.events and not own.events & named.events:
            # 采用的合格专报: an adoption whose item's row belongs to the set
            own = replace(own, item_conditions=own.item_conditions + (ItemCondition(True, named),))
        else:
            extra = _merge(extra, named)
    return _merge(own, extra)
