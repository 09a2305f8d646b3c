"""The assessment period and its subdivisions (年, 季度, 月), with their printed labels."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache


@dataclass(frozen=True)
class Span:
    start: date
    end: date
    label: str


def whole(start: date, end: date) -> Span:
    label = str(start.year) if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) \
        and start.year == end.year else f"{start.isoformat()}~{end.isoformat()}"
    return Span(start, end, label)


@lru_cache(maxsize=None)
def subdivide(period: Span, grain: str) -> tuple[Span, ...]:
    """The months ("2018-01") or quarters ("2018Q1") that overlap the period, or the period itself."""
    if grain == "year":
        return (period,)
    step = 1 if grain == "month" else 3
    spans = []
    year, month = period.start.year, period.start.month
    if grain == "quarter":
        month = (month - 1) // 3 * 3 + 1
    while date(year, month, 1) <= period.end:
        first = date(year, month, 1)
        next_year, next_month = (year + (month + step - 1) // 12, (month + step - 1) % 12 + 1)
        last = date(next_year, next_month, 1) - timedelta(days=1)
        label = f"{year}-{month:02d}" if grain == "month" else f"{year}Q{(month - 1) // 3 + 1}"
        spans.append(Span(max(first, period.start), min(last, period.end), label))
        year, month = next_year, next_month
    return tuple(spans)
