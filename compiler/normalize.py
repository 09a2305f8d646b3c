"""Name normalisation, shared by the compiler and the runtime (ledger.md, 'Normalisation').

Traditional characters become simplified, full-width becomes half-width, and surrounding
《》 and spaces are stripped. Each distinct string is converted once.
"""
from __future__ import annotations

import re
import sys
import threading
import unicodedata
from functools import lru_cache
from itertools import compress
from operator import not_

_STRIP = " \t\u3000《》<>"
# normalize leaves ASCII text without these characters as it is
ASCII_STRIPPED = "".join(c for c in _STRIP if c.isascii())
# the middle dots that typists use for one another (今日•义马, 今日・义马 → 今日·义马)
_DOTS = str.maketrans({"\u2022": "·", "\u30fb": "·", "\u2027": "·", "\u2219": "·", "\u22c5": "·", "\uff65": "·"})
_DOT_CHARS = tuple(chr(c) for c in _DOTS)


@lru_cache(maxsize=None)
def normalize(text: str) -> str:
    text = _half_normal(text)
    if text.isascii():
        return text
    return to_simplified(text)


def _half_normal(text: str) -> str:
    """Everything normalize does but the conversion to simplified characters."""
    return unicodedata.normalize("NFKC", text).strip(_STRIP).translate(_DOTS)


def normalize_all(texts: list[str]) -> list[str]:
    """[normalize(text) for text in texts], for many texts seen once each (a ledger's item codes):
    nothing is remembered, and each step runs once over all of them, joined by line breaks. No
    step works across a line break: NFKC composes nothing with one, and no phrase the converter
    knows spans one. A text with a line break of its own is done one by one."""
    lines = len(texts) - 1
    joined = unicodedata.normalize("NFKC", "\n".join(texts))      # at C speed; the text itself when normal
    if joined.count("\n") != lines:
        return [normalize(text) for text in texts]
    if any(map(joined.__contains__, _DOT_CHARS)):
        joined = joined.translate(_DOTS)
    done = joined.split("\n")
    if any(map(joined.__contains__, _STRIP)):
        done = [text.strip(_STRIP) for text in done]
    wide = list(compress(range(len(done)), map(not_, map(str.isascii, done))))
    if wide:
        converted = _simplified_lines("\n".join(done[i] for i in wide)).split("\n")
        if len(converted) != len(wide):          # never yet: a conversion with a line break of its own
            return [normalize(text) for text in texts]
        for i, text in zip(wide, converted):
            done[i] = text
    return done


@lru_cache(maxsize=None)
def to_simplified(text: str) -> str:
    return _converter()(text, "zh-cn")


def _simplified_lines(text: str) -> str:
    """to_simplified(text) for a text of many lines (item codes): each distinct stretch of non-ASCII
    characters is converted once, where no phrase the converter knows spans ASCII and other
    characters at a place the text has them side by side (西元1 does). The converter works
    character by character in Python; codes repeat their stretches (封政信〔, 〕, 号)."""
    across = _across_ascii()
    if across is None or (any(map(text.__contains__, across[0])) and across[1].search(text)):
        return _converter()(text, "zh-cn")
    pieces = _ASCII_RUNS.split(text)            # other stretches at even places, ASCII at odd ones
    wide = pieces[0::2]
    converted = {piece: _converter()(piece, "zh-cn") for piece in set(wide)}
    pieces[0::2] = map(converted.__getitem__, wide)
    return "".join(pieces)


_ASCII_RUNS = re.compile(r"([\x00-\x7f]+)")


@lru_cache(maxsize=1)
def _across_ascii() -> tuple[str, re.Pattern] | None:
    """Where a phrase the converter knows has an ASCII and another character side by side: the other
    characters of such pairs, and a pattern of the pairs (a few more, not fewer). None when the
    converter's table cannot be read, or has a phrase of ASCII alone."""
    _converter()
    try:
        from zhconv.zhconv import getdict
        phrases = getdict("zh-cn")
    except Exception:           # another version of zhconv: convert whole texts, as before
        return None
    if any(phrase.isascii() for phrase in phrases):
        return None
    pairs = {(a, b) for phrase in phrases for a, b in zip(phrase, phrase[1:]) if a.isascii() != b.isascii()}
    wide = "".join(sorted({c for pair in pairs for c in pair if not c.isascii()}))
    sides = [[re.escape("".join(sorted({pair[side] for pair in pairs if pair[0].isascii() == ascii_first})))
              for side in (0, 1)] for ascii_first in (False, True)]
    return wide, re.compile("|".join(f"[{left}][{right}]" for left, right in sides if left) or "(?!)")


@lru_cache(maxsize=1)
def _converter():
    """zhconv's convert, loaded on first use: its tables take a moment to read."""
    if "pkg_resources" in sys.modules or threading.active_count() > 1:
        from zhconv import convert     # hiding pkg_resources from another thread's imports would break them
        return convert
    # zhconv tries pkg_resources (~0.1 s to import) before reading its table from its own folder
    sys.modules["pkg_resources"] = None
    try:
        from zhconv import convert
    finally:
        del sys.modules["pkg_resources"]
    return convert
