"""A part of a ledger read in another process, and how it travels back to the parent.

Pickling a million small objects one by one would cost more than reading them, so a part
travels as a few compact things: shapes as serial numbers of the raw cells that made them (the
parent's memo turns those into its own Shape objects), and item codes as one string (they hold
no line breaks: a file is split only where every record is one line). Dates and 字数 travel as
lists: a column repeats a few hundred objects, and pickle sends a repeated object as a
reference to its first copy. The links the part found travel as arrays of row
numbers within the part (links.PartLinks). Rejections and 报送 rows dated outside the period
travel as they are.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass


@dataclass
class Part:
    shapes: list
    dates: list
    items: list
    lengths: list
    numbers: object           # rows.RowNumbers
    rejected: list
    outside: dict
    records: int              # records read, blank and rejected ones included (for the progress bar)
    links: tuple              # what links.PartLinks found, for ItemLinks.take


def pack(part, shape_memo: dict, outside: dict, records: int, links: tuple) -> dict:
    """A part's ledger (rows.Ledger) as it travels; shape_memo maps raw cells to the part's shapes."""
    rows = part.rows
    made = {shape: cells for cells, shape in shape_memo.items() if shape is not None}
    return {"cells": list(made.values()), "shapes": _serials(rows.shapes, made),
            "dates": rows.dates, "lengths": rows.lengths,
            "items": "\n".join(rows.items), "numbers": rows.numbers, "rejected": part.rejected,
            "outside": outside, "records": records, "links": links}


def unpack(packed: dict, shape_memo: dict) -> Part:
    """A part as the parent takes it, its shapes made by the parent's own memo."""
    made = list(map(shape_memo.__getitem__, packed["cells"]))
    shapes = list(map(made.__getitem__, packed["shapes"]))
    dates, lengths = packed["dates"], packed["lengths"]
    items = packed["items"].split("\n") if shapes else []
    return Part(shapes, dates, items, lengths, packed["numbers"], packed["rejected"], packed["outside"],
                packed["records"], packed["links"])


def _serials(values: list, distinct: dict) -> array:
    """Each value's place among the distinct values (a dict, in the order of its keys)."""
    place = dict(zip(distinct, range(len(distinct))))
    return array("i", map(place.__getitem__, values))
