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
    assert len(rows.ahead) == workers                # every part was grouped where it was read
    assert any(stretch.loose for stretch in rows.ahead)
    if made_by is spread_ledger:
        assert relinked                              # a child's own link was overruled
        assert all(guessed)                          # no line dropped: each child knew where its rows begin
    else:
        assert not all(guessed)                      # rejected and blank lines: a child's indices shifted here
    assert bucketed(rows) == from_scratch(rows)


def test_a_child_that_sends_no_groups_leaves_its_rows_to_the_end(tmp_path, monkeypatch):
    from govrule.runtime import grouping

    def failing(*args):
        raise MemoryError

    monkeypatch.setattr(grouping, "travelling", failing)
    monkeypatch.setattr("govrule.runtime.ledger.travelling", failing)
    rows = read(messy_ledger(tmp_path), monkeypatch, 3)
    assert len(rows.ahead) == 1                      # the parent's own part only
    assert bucketed(rows) == from_scratch(rows)


def test_a_ledger_read_in_one_process_is_grouped_at_the_end(tmp_path, monkeypatch):
    rows = read(messy_ledger(tmp_path), monkeypatch, 1)
    assert rows.ahead == []
    assert bucketed(rows) == from_scratch(rows)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_stretches_and_loose_rows_join_into_the_buckets_of_the_whole(data):
    """Random columns cut into stretches grouped ahead with some rows left loose, those rows then
    given other shapes (as links settle them), and some rows grouped by no stretch at all."""
    from govrule.runtime.grouping import group_ahead
    from govrule.runtime.rows import LedgerRows

    size = data.draw(st.integers(1, 60))
    shapes = [object() for _ in range(data.draw(st.integers(1, 5)))]
    rows = LedgerRows()
    rows.shapes = [data.draw(st.sampled_from(shapes)) for _ in range(size)]
    rows.dates = [date(2023, 1, 1) + timedelta(days=data.draw(st.integers(0, 3))) for _ in range(size)]
    cuts = sorted(data.draw(st.sets(st.integers(0, size), max_size=4)) | {size})
    done = 0
    for cut in cuts:
        if data.draw(st.booleans()):                 # else the stretch is grouped by no one ahead
            loose = sorted(data.draw(st.sets(st.integers(done, cut - 1), max_size=cut - done))) if cut > done else []
            stretch = LedgerRows()
            stretch.shapes, stretch.dates = rows.shapes[:cut], rows.dates[:cut]
            group_ahead(stretch, done, loose)
            rows.ahead += stretch.ahead
            for index in loose:                      # settled later: a shape of its own, or another one
                rows.shapes[index] = data.draw(st.sampled_from([*shapes, object()]))
        done = cut
    assert bucketed(rows) == from_scratch(rows)
