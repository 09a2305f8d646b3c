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
    return ledger.read_ledger(path if isinstance(path, list) else [path], plan, (period.start, period.end)).rows


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
    assert len(guessed) == workers - 1
    assert any(isinstance(loose, list) and loose for loose in rows.ahead.loose)    # rows waited in a part
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

    monkeypatch.setattr(grouping, "groups_to_send", failing)
    monkeypatch.setattr("govrule.runtime.ledger.groups_to_send", failing)
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


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_rows_made_a_column_at_a_time_are_the_rows_made_one_by_one(data):
    """LedgerRows.rows_at, for an unmatched list or an explanation, against LedgerRows.row: several
    files (some without rows), row numbers in ranges and in lists, rows asked for before."""
    from fractions import Fraction

    from govrule.runtime.rows import LedgerRows, Shape

    shapes = [Shape(f"单位{k}", k % 2 and "科" or None, "报送", "省" if k else None, k and "刊" or None, None,
                    "调研" if k % 2 else None, frozenset({"负面"}) if k == 2 else frozenset(), Fraction(k + 1),
                    Fraction(3, 2) if k == 1 else None) for k in range(3)]
    rows, number = LedgerRows(), 2
    for file in range(data.draw(st.integers(1, 4))):
        rows.start_file(f"f{file}.csv")
        for _ in range(data.draw(st.integers(0, 3))):
            size = data.draw(st.integers(0, 6))
            count = len(rows)
            run = range(number, number + size) if data.draw(st.booleans()) else [number + 2 * k for k in range(size)]
            rows.extend([data.draw(st.sampled_from(shapes)) for _ in range(size)],
                        [date(2023, 1, 1) + timedelta(days=count + k) for k in range(size)],
                        [data.draw(st.sampled_from(["", "X1", "X2"])) for _ in range(size)],
                        [data.draw(st.sampled_from([None, 800])) for _ in range(size)], run)
            number += 3 * size + 1
    wanted = sorted(data.draw(st.sets(st.integers(0, max(len(rows) - 1, 0)), max_size=len(rows))))
    asked = data.draw(st.sets(st.sampled_from(wanted), max_size=3)) if wanted else set()
    before = {index: rows.row(index) for index in asked}        # some rows were made one by one first
    made = rows.rows_at(wanted)
    one_by_one = LedgerRows()
    one_by_one.__dict__.update({**rows.__dict__, "_made": {}})
    assert [vars_of(row) for row in made] == [vars_of(one_by_one.row(index)) for index in wanted]
    assert all(made[wanted.index(index)] is row for index, row in before.items())
    assert all(rows.row(index) is row for index, row in zip(wanted, made))      # made once


def vars_of(row) -> tuple:
    return tuple(getattr(row, name) for name in row.__slots__)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_childs_groups_joined_with_the_parents_are_the_buckets_of_the_whole(data):
    """A parent part grouped as read; a child part grouped by the shapes its own links gave, sent
    with indices from a guessed start (right, or off where lines were dropped before it), some of
    its rows waiting and some relinked by the parent; all loose rows settled afterwards."""
    from govrule.runtime.grouping import group_ahead, groups_to_send, take_ahead
    from govrule.runtime.rows import LedgerRows

    size = data.draw(st.integers(2, 60))
    shapes = [object() for _ in range(data.draw(st.integers(1, 5)))]
    final = [data.draw(st.sampled_from(shapes)) for _ in range(size)]
    days = [date(2023, 1, 1) + timedelta(days=data.draw(st.integers(0, 3))) for _ in range(size)]
    cut = data.draw(st.integers(1, size - 1))
    rows = LedgerRows()
    rows.shapes, rows.dates, rows.items = final[:cut], days[:cut], [""] * cut
    parent_loose = sorted(data.draw(st.sets(st.integers(0, cut - 1), max_size=cut)))
    unsettled = object()                             # a shape a loose row has until it is settled
    for index in parent_loose:
        rows.shapes[index] = unsettled
    group_ahead(rows, 0, parent_loose)
    child = range(cut, size)
    waiting = data.draw(st.sets(st.sampled_from(child), max_size=len(child)))
    relinked = data.draw(st.sets(st.sampled_from(child), max_size=len(child))) - waiting
    guessed = cut + data.draw(st.sampled_from([0, 0, 3]))
    # a relinked row was linked by the child to its own 报送 row: its shape there may be any
    as_child_saw = [None if index in waiting else data.draw(st.sampled_from(shapes)) if index in relinked
                    else final[index] for index in child]
    groups = groups_to_send(as_child_saw, days[cut:], guessed)
    rows.shapes += [unsettled if index in waiting | relinked else final[index] for index in child]
    rows.dates += days[cut:]
    rows.items += [""] * len(child)
    take_ahead(rows, cut, guessed, groups, sorted(waiting | relinked), set(relinked))
    for index in [*parent_loose, *waiting, *relinked]:    # settled at last
        rows.shapes[index] = final[index]
    assert bucketed(rows) == from_scratch(rows)


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("order", range(3))
def test_several_files_some_read_in_parts_give_the_one_process_read(tmp_path, monkeypatch, workers, order):
    """Ledger files read one after another, some cut into parts and one not (a quoted cell sends it
    to the csv module), the same file twice: the buckets and every outcome are one process's."""
    from govrule.runtime import grouping
    from govrule.runtime.run import evaluate_ledger
    from test_parallel_read import outcome

    (tmp_path / "spread").mkdir()
    (tmp_path / "messy").mkdir()
    spread, messy = spread_ledger(tmp_path / "spread"), messy_ledger(tmp_path / "messy")
    lines = messy.read_text(encoding="utf-8").split("\n")
    lines[5] = lines[5].replace(",,", ',"",', 1)
    quoted = tmp_path / "quoted.csv"
    quoted.write_text("\n".join(lines), encoding="utf-8")
    files = [[spread, quoted, messy], [quoted, messy, spread], [messy, spread, quoted, spread]][order]
    plan = compiled_seed("fengqiu").plan
    monkeypatch.setenv("GOVRULE_WORKERS", "1")
    alone = outcome(evaluate_ledger(plan, files))
    added = []
    original = grouping.Ahead.add
    monkeypatch.setattr(grouping.Ahead, "add", lambda ahead, *args: added.append(1) or original(ahead, *args))
    rows = read(files, monkeypatch, workers)
    assert len(added) == workers * sum(path != quoted for path in files)     # every part of every file cut
    assert bucketed(rows) == from_scratch(rows)
    assert outcome(evaluate_ledger(plan, files)) == alone
