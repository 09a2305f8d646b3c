"""Numbers as drafters write them: 20, 2.5, 二十, 一百二十, 两."""
from __future__ import annotations

from fractions import Fraction

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4,
           "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}

_PLACES = {"千": 3, "百": 2, "十": 1}
_NONZERO = "一二两兩三四五六七八九"


def numeral_problem(text: str) -> str | None:
    """Why a numeral is not written the standard way (一二、一百零零、一百五), or None.

    `parse_number` reads such numerals anyway (一百五 as 105, where a reader may mean 150);
    the compiler asks this first, so that a policy never scores by a misread number.
    """
    text = text.strip()
    if not text or text[0].isdigit():
        return None
    if text in ("零", "〇"):
        return None
    parts = text.split("万")
    if len(parts) > 2 or not _section_ok(parts[0], after_wan=False) or \
            (len(parts) == 2 and parts[1] and not _section_ok(parts[1], after_wan=True)):
        return "不是规范的中文数字"
    return None


def _section_ok(text: str, after_wan: bool) -> bool:
    """A numeral below 一万: digit-place pairs from high to low, 零 only across a skipped place."""
    previous = 4                       # above 千: the first pair may take any place
    first = not after_wan
    zero = False
    i = 0
    if not text:
        return False
    while i < len(text):
        ch = text[i]
        if ch in "零〇":
            if zero or first:
                return False
            zero, i = True, i + 1
            continue
        if ch == "十" and first:       # 十五
            digit, place, i = None, 1, i + 1
        elif ch in _NONZERO and i + 1 < len(text) and text[i + 1] in _PLACES:
            digit, place, i = ch, _PLACES[text[i + 1]], i + 2
        elif ch in _NONZERO and i + 1 == len(text):
            digit, place, i = ch, 0, i + 1
        else:                          # 一二, 百 with no digit, 万 …
            return False
        if place >= previous or (not first and (previous - place > 1) != zero):
            return False               # 十百; 一百五 (a skipped place needs 零); 一百零五十
        if digit in ("两", "兩") and place < 2 and not (first and place == 0):
            return False               # 两十, 十两
        previous, first, zero = place, False, False
    return not zero


def parse_number(text: str) -> Fraction:
    """Read an Arabic or Chinese numeral; raise ValueError if it is neither."""
    text = text.strip()
    if not text:
        raise ValueError("空数字")
    if text[0].isdigit():
        return Fraction(text)
    total = section = 0
    digit = None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
        else:
            raise ValueError(f"「{text}」不是数字")
    return Fraction(total + section + (digit or 0))
