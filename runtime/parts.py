"""A part of a ledger read in another process, and how it travels back to the parent.

Pickling a million small objects one by one would cost more than reading them, so a part
travels as a few compact things: shapes as serial numbers of the raw cells that made them (the
parent's memo turns those into its own Shape objects), dates and 字数 as serial numbers of
their distinct values, and item codes as one string (they hold no line breaks: a file is split
only where every record is one line). Rejections and 报送 rows dated outside the period travel
as they are.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass


class NoLinks:
    """A part read in another process leaves its items to be linked by the parent, in ledger order."""

    @staticmethod
    def batch(start: int, shapes: list, items: list, lengths: list) -> None:
        pass


@dataclass
class Part:
    shapes: list
    dates: list
    items: list
    lengths: list
    numbers: array
    rejected: list
    outside: dict
    records: int              # records read, blank and rejected ones included (for the progress bar)


def pack(part, shape_memo: dict, outside: dict, records: int) -> dict:
    """A part's ledger (rows.Ledger) as it travels; shape_memo maps raw cells to the part's shapes."""
    rows = part.rows
    made = {shape: cells for cells, shape in shape_memo.items() if shape is not None}
    days, sizes = dict.fromkeys(rows.dates), dict.fromkeys(rows.lengths)
    return {"cells": list(made.values()), "shapes": _serials(rows.shapes, made),
            "dates": (list(days), _serials(rows.dates, days)), "lengths": (list(sizes), _serials(rows.lengths, sizes)),
            "items": "\n".join(rows.items), "numbers": rows.numbers, "rejected": part.rejected,
            "outside": outside, "records": records}


def unpack(packed: dict, shape_memo: dict) -> Part:
    """A part as the parent takes it, its shapes made by the parent's own memo."""
    made = list(map(shape_memo.__getitem__, packed["cells"]))
    shapes = list(map(made.__getitem__, packed["shapes"]))
    days, serials = packed["dates"]
    dates = list(map(days.__getitem__, serials))
    sizes, serials = packed["lengths"]
    lengths = list(map(sizes.__getitem__, serials))
    items = packed["items"].split("\n") if shapes else []
    return Part(shapes, dates, items, lengths, packed["numbers"], packed["rejected"], packed["outside"],
                packed["records"])


def _serials(values: list, distinct: dict) -> array:
    """Each value's place among the distinct values (a dict, in the order of its keys)."""
    place = dict(zip(distinct, range(len(distinct))))
    return array("i", map(place.__getitem__, values))
