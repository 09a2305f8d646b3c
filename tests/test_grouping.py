"""Rows grouped by shape as they are read (runtime/grouping.py): whatever was grouped ahead, and
however the parts fell, the buckets are those of grouping the finished ledger at once."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import compiled_seed
from test_parallel_read import messy_ledger, spread_ledger


def from_scratch(rows) -> list[tuple]:
    """Each shape's rows in ledger order and its days, shapes in order of their first row: read off
    the finished columns one row at a time."""
    indices, days = defaultdict(list), defaultdict(Counter)
    for index, (shape, day) in enumerate(zip(rows.shapes, rows.dates)):
        indices[shape].append(index)
        days[shape][day] += 1
    return [(shape, found, dict(days[shape])) for shape, found in indices.items()]


def bucketed(rows) -> list[tuple]:
    from govrule.runtime.grouping import buckets

    return [(shape, indices, dict(days)) for shape, indices, days in buckets(rows)]


def read(path, monkeypatch, workers: int):
    from govrule.runtime import ledger
    from govrule.runtime.run import assessment_period

    plan = compiled_seed("fengqiu").plan
    period = assessment_period(plan)
    monkeypatch.setattr(ledger, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setenv("GOVRULE_WORKERS", str(workers))
    return ledger.read_ledger([path], plan, (period.start, period.end)).rows


@pytest.mark.parametrize("workers", [2, 3, 5])
@pytest.mark.parametrize("made_by", [messy_ledger, spread_ledger])
def test_buckets_grouped_ahead_are_those_of_the_finished_ledger(tmp_path, monkeypatch, workers, made_by):
    """Rejected and blank rows, adoptions waiting for a 报送 row in a later part, and adoptions a
    child linked to its own 报送 row that an earlier part's submission takes over."""
    from govrule.runtime import grouping, ledger

    relinked, guessed = [], []
    original = grouping.take_ahead

    def spy(rows, start, first, groups, loose, again):
        relinked.extend(again)
        guessed.append(start == first)
        return original(rows, start, first, groups, loose, again)

    monkeypatch.setattr(ledger, "take_ahead", spy)
    rows = read(made_by(tmp_path), monkeypatch, workers)
    assert rows.ahead.until == len(rows)             # every part was grouped where it was read
    assert len(guessed) == workers - 1 and any(rows.ahead.loose)
    if made_by is spread_ledger:
        assert relinked                              # a child's own link was overruled
        assert all(guessed)                          # no line dropped: each child knew where its rows begin
    elif workers == 2:
        assert all(guessed)                          # the parent told its one child where its own part ended
    else:
        assert not all(guessed)                      # a middle part dropped lines: a later child's rows shifted here
    assert bucketed(rows) == from_scratch(rows)


def test_a_child_that_sends_no_groups_leaves_its_rows_to_the_end(tmp_path, monkeypatch):
    from govrule.runtime import grouping

    def failing(*args):
        raise MemoryError

    monkeypatch.setattr(grouping, "travelling", failing)
    monkeypatch.setattr("govrule.runtime.ledger.travelling", failing)
    rows = read(messy_ledger(tmp_path), monkeypatch, 3)
    assert 0 < rows.ahead.until < len(rows)          # the parent's own part only
    assert bucketed(rows) == from_scratch(rows)


def test_a_ledger_read_in_one_process_is_grouped_at_the_end(tmp_path, monkeypatch):
    rows = read(messy_ledger(tmp_path), monkeypatch, 1)
    assert rows.ahead is None
    assert bucketed(rows) == from_scratch(rows)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_parts_and_loose_rows_join_into_the_buckets_of_the_whole(data):
    """Random columns read a part at a time, each part grouped as it comes or not at all, some rows
    left loose and then given other shapes (as links settle them), and the buckets asked for twice."""
    from govrule.runtime.grouping import group_ahead
    from govrule.runtime.rows import LedgerRows

    size = data.draw(st.integers(1, 60))
    shapes = [object() for _ in range(data.draw(st.integers(1, 5)))]
    column = [data.draw(st.sampled_from(shapes)) for _ in range(size)]
    days = [date(2023, 1, 1) + timedelta(days=data.draw(st.integers(0, 3))) for _ in range(size)]
    rows = LedgerRows()
    loose = []
    for cut in sorted(data.draw(st.sets(st.integers(1, size), max_size=4)) | {size}):
        start = len(rows)
        rows.shapes += column[start:cut]
        rows.dates += days[start:cut]
        if data.draw(st.booleans()):                 # else this part is grouped by no one ahead
            left = sorted(data.draw(st.sets(st.integers(start, cut - 1), max_size=cut - start)))
            group_ahead(rows, start, left)
            loose += left
    for index in loose:                              # settled later: another shape, or one of its own
        rows.shapes[index] = data.draw(st.sampled_from([*shapes, object()]))
    assert bucketed(rows) == from_scratch(rows)
    assert bucketed(rows) == from_scratch(rows)      # nothing grouped ahead was changed by the first
