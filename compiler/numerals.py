"""Numbers as drafters write them: 20, 2.5, 二十, 一百二十, 两."""
from __future__ import annotations

from fractions import Fraction

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4,
           "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


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
