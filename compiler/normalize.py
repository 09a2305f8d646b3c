"""Name normalisation, shared by the compiler and the runtime (ledger.md, 'Normalisation').

Traditional characters become simplified, full-width becomes half-width, and surrounding
《》 and spaces are stripped. Each distinct string is converted once.
"""
from __future__ import annotations

import sys
import threading
import unicodedata
from functools import lru_cache

_STRIP = " \t\u3000《》<>"
# normalize leaves ASCII text without these characters as it is
ASCII_STRIPPED = "".join(c for c in _STRIP if c.isascii())
# the middle dots that typists use for one another (今日•义马, 今日・义马 → 今日·义马)
_DOTS = str.maketrans({"\u2022": "·", "\u30fb": "·", "\u2027": "·", "\u2219": "·", "\u22c5": "·", "\uff65": "·"})


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
    nothing is remembered, and the converter runs once for all of them. Its cost is mostly per
    call, and no phrase it converts spans a line break."""
    done = list(map(_half_normal, texts))
    wide = [i for i, text in enumerate(done) if not text.isascii()]
    if wide:
        converted = _converter()("\n".join(done[i] for i in wide), "zh-cn").split("\n")
        if len(converted) != len(wide):         # a text with a line break of its own
            return [normalize(text) for text in texts]
        for i, text in zip(wide, converted):
            done[i] = text
    return done


@lru_cache(maxsize=None)
def to_simplified(text: str) -> str:
    return _converter()(text, "zh-cn")


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
