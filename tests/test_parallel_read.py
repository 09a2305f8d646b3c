"""A big CSV ledger is read in parts, side by side, by forked processes (runtime/parallel.py).
Whatever the number of parts and whether the children work, the outcome is the one-process read:
the same rows in the same order, the same rejections, notices and results."""
from __future__ import annotations

import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, POLICIES, SEED_POLICIES, compiled_seed, results_by_unit, write_ledger

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parts are forked only on Linux")


def outcome(result) -> dict:
    """Everything a read decides, in order."""
    return {
        "results": results_by_unit(result),
        "rows": [(r.file, r.row, r.date, r.unit, r.event, r.item, r.category, r.tags, r.length, r.count, r.points)
                 for r in result.rows],
        "unmatched": [(r.file, r.row) for r in result.unmatched],
        "rejected": [(str(r), r.cells) for r in result.rejected],
        "notices": result.notices,
    }


def evaluate(plan, path, monkeypatch, workers: int):
    from govrule.runtime import ledger
    from govrule.runtime.run import evaluate_ledger

    monkeypatch.setattr(ledger, "PARALLEL_MIN_BYTES", 1)      # split even a small file
    monkeypatch.setenv("GOVRULE_WORKERS", str(workers))
    return evaluate_ledger(plan, [path])


def messy_ledger(tmp_path):
    """The 封丘 example with trouble spread through it: rows rejected for many reasons, adoptions
    before their submission, a submission under another unit, blank lines, a short row."""
    import csv

    with open(DATA / "fengqiu" / "ledger.csv", encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    trouble = [
        {"日期": "2023-13-01", "单位": rows[0]["单位"], "事项": "报送", "信息编号": "BAD1"},
        {"日期": "2023-03-01", "单位": "不存在的局", "事项": "报送", "信息编号": "BAD2"},
        {"日期": "2022-12-31", "单位": rows[0]["单位"], "事项": "报送", "信息编号": "OUT1", "类别": "调研"},
        {"日期": "2023-03-02", "单位": rows[0]["单位"], "事项": "采用", "信息编号": "OUT1", "刊物": "共享信息", "级别": "省"},
        {"日期": "2023-03-03", "单位": rows[1]["单位"], "事项": "采用", "信息编号": "LATE", "刊物": "共享信息", "级别": "市"},
        {"日期": "2023-03-04", "单位": rows[0]["单位"], "事项": "报送", "信息编号": "LATE", "类别": "调研", "字数": "3000"},
        {"日期": "2023-03-05", "单位": rows[0]["单位"], "事项": "报送", "信息编号": "", "类别": "动态"},
        {"日期": "2023-03-06", "单位": rows[0]["单位"], "事项": "报送", "信息编号": "N1", "字数": "三千五"},
    ]
    mixed = []
    for i, row in enumerate(rows * 3):
        mixed.append(dict(row, 信息编号=row["信息编号"] and f"{row['信息编号']}-{i // len(rows)}"))
        if i % 97 == 0:
            mixed.append(trouble[(i // 97) % len(trouble)])
    path = write_ledger(tmp_path / "messy.csv", mixed)
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    lines.insert(len(lines) // 2, "")                                  # a blank line near the middle
    lines.insert(len(lines) // 3, "2023-05-05," + rows[0]["单位"])      # a short row
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_reading_in_parts_gives_exactly_the_one_process_read(tmp_path, monkeypatch, workers):
    plan = compiled_seed("fengqiu").plan
    path = messy_ledger(tmp_path)
    alone = outcome(evaluate(plan, path, monkeypatch, 1))
    assert alone["rejected"] and alone["notices"]              # the ledger does exercise both
    assert outcome(evaluate(plan, path, monkeypatch, workers)) == alone


def test_an_item_submitted_in_two_parts_takes_the_first_submission(tmp_path, monkeypatch):
    """Items are linked in ledger order across parts: the first 报送 row wins wherever it is."""
    import csv

    with open(DATA / "fengqiu" / "ledger.csv", encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    unit = rows[0]["单位"]
    adopted = {"日期": "2023-02-03", "单位": unit, "事项": "采用", "信息编号": "TWICE", "刊物": "共享信息", "级别": "省"}
    early = {"日期": "2023-02-01", "单位": unit, "事项": "报送", "信息编号": "TWICE", "类别": "调研", "字数": "2000"}
    late = {"日期": "2023-02-02", "单位": rows[1]["单位"], "事项": "报送", "信息编号": "TWICE", "类别": "动态"}
    body = [dict(row, 信息编号=row["信息编号"] and f"{row['信息编号']}-{i // len(rows)}") for i, row in enumerate(rows * 4)]
    path = write_ledger(tmp_path / "twice.csv", [adopted, early, *body, late, adopted])
    plan = compiled_seed("fengqiu").plan
    alone = evaluate(plan, path, monkeypatch, 1)
    parted = evaluate(plan, path, monkeypatch, 2)
    assert outcome(parted) == outcome(alone)
    twice = [r for r in parted.rows if r.item == "TWICE" and r.event == "采用"]
    assert [(r.category, r.length) for r in twice] == [("调研", 2000), ("调研", 2000)]


def spread_ledger(tmp_path):
    """The 封丘 example six times over, with adoptions of one item before, inside and after the part
    of its first 报送 row, and a second 报送 row in a later part (with 3 parts: in the second and
    in the third)."""
    import csv

    with open(DATA / "fengqiu" / "ledger.csv", encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    units = [rows[0]["单位"], rows[1]["单位"]]

    def adopted(day: int, unit: str) -> dict:
        return {"日期": f"2023-04-{day:02d}", "单位": unit, "事项": "采用", "信息编号": "SPREAD", "刊物": "共享信息",
                "级别": "省"}

    first = {"日期": "2023-04-10", "单位": units[0], "事项": "报送", "信息编号": "SPREAD", "类别": "调研", "字数": "2000"}
    second = {"日期": "2023-04-20", "单位": units[1], "事项": "报送", "信息编号": "SPREAD", "类别": "动态", "字数": "900"}
    body = [dict(row, 信息编号=row["信息编号"] and f"{row['信息编号']}-{i // len(rows)}") for i, row in enumerate(rows * 6)]
    a, b = len(body) * 45 // 100, len(body) * 85 // 100
    ledger_rows = [adopted(1, units[0]), *body[:a], adopted(2, units[1]), first, adopted(3, units[0]),
                   *body[a:b], adopted(4, units[1]), second, adopted(5, units[0]), *body[b:], adopted(6, units[1])]
    return write_ledger(tmp_path / "spread.csv", ledger_rows)


@pytest.mark.parametrize("workers", [2, 3])
def test_items_link_across_parts_in_every_direction(tmp_path, monkeypatch, workers):
    """Every adoption takes the first 报送 row, as in one process."""
    path = spread_ledger(tmp_path)
    plan = compiled_seed("fengqiu").plan
    alone = evaluate(plan, path, monkeypatch, 1)
    parted = evaluate(plan, path, monkeypatch, workers)
    assert outcome(parted) == outcome(alone)
    spread = [r for r in parted.rows if r.item == "SPREAD" and r.event == "采用"]
    assert [(r.category, r.length) for r in spread] == [("调研", 2000)] * 6
    first = next(r for r in parted.rows if r.item == "SPREAD" and r.event == "报送")
    noticed = [n for n in parted.notices if "信息SPREAD" in n]      # the units that differ from the first 报送 row's
    assert len(noticed) == 3 and all(f"由「{first.unit}」报送" in n for n in noticed)


def test_a_child_that_fails_leaves_its_part_to_the_parent(tmp_path, monkeypatch):
    from govrule.runtime import ledger

    plan = compiled_seed("fengqiu").plan
    path = messy_ledger(tmp_path)
    alone = outcome(evaluate(plan, path, monkeypatch, 1))

    def broken(*args):
        raise MemoryError("a child that cannot finish")

    monkeypatch.setattr(ledger, "_part_columns", broken)
    assert outcome(evaluate(plan, path, monkeypatch, 3)) == alone


def test_the_parts_really_are_read_elsewhere(tmp_path, monkeypatch):
    """The children's rows come back through _take_part; none of them is read here twice."""
    from govrule.runtime import ledger

    plan = compiled_seed("fengqiu").plan
    path = messy_ledger(tmp_path)
    taken = []
    original = ledger._take_part

    def spy(columns, *args):
        taken.append(len(columns["shapes"]))
        return original(columns, *args)

    monkeypatch.setattr(ledger, "_take_part", spy)
    result = evaluate(plan, path, monkeypatch, 3)
    assert len(taken) == 2 and all(taken)
    assert sum(taken) < len(result.rows)


@pytest.mark.parametrize("channel", ["shared memory", "pipe, the result too big for shared memory",
                                     "pipe, no shared memory to be had"])
def test_results_come_back_whichever_way_they_travel(tmp_path, monkeypatch, channel):
    """A child's result is written into memory shared with the parent; one too big for it, or a
    child forked where no such memory could be reserved, sends it through the pipe instead."""
    from govrule.runtime import ledger, parallel

    plan = compiled_seed("fengqiu").plan
    path = messy_ledger(tmp_path)
    alone = outcome(evaluate(plan, path, monkeypatch, 1))
    if channel.startswith("pipe, the result"):
        monkeypatch.setattr(parallel, "SHARED_BYTES", 4096)
    elif channel.startswith("pipe, no"):
        monkeypatch.setattr(parallel, "_shared_memory", lambda: None)
    taken = []
    original = ledger._take_part
    monkeypatch.setattr(ledger, "_take_part", lambda columns, *args: taken.append(1) or original(columns, *args))
    assert outcome(evaluate(plan, path, monkeypatch, 3)) == alone
    assert len(taken) == 2          # both children's results arrived: neither part was read here again


def test_what_the_pipe_carries():
    """Each result a child's work yields: in shared memory after the ones before, or pickled into
    the pipe where it does not fit; a failure ends the messages."""
    import io
    import mmap
    import pickle

    from govrule.runtime import parallel

    first, second = {"rows": list(range(1000)), "items": "X1\nX2"}, {"groups": [[1, 2], [3]]}

    def work():
        yield first
        yield second

    def header(message):
        return message[:1], int.from_bytes(message[1:1 + parallel._NUMBER], "little")

    shared = mmap.mmap(-1, 1 << 20)
    messages = list(parallel._messages(work(), shared, lambda: None))
    kinds = [header(m) for m in messages]
    assert [kind for kind, _ in kinds] == [parallel.IN_SHARED, parallel.IN_SHARED]
    assert kinds[0][1] == 0 < kinds[1][1]                   # the second after the first
    assert [pickle.loads(memoryview(shared)[start:]) for _, start in kinds] == [first, second]

    small = mmap.mmap(-1, 64)      # the first does not fit and goes through the pipe; the second does
    messages = list(parallel._messages(work(), small, lambda: None))
    assert [header(m) for m in messages] == [(parallel.IN_PIPE, len(messages[0]) - 1 - parallel._NUMBER),
                                            (parallel.IN_SHARED, 0)]
    roomy = mmap.mmap(-1, 1 << 20)
    for shared_memory, sent in ((roomy, list(parallel._messages(work(), roomy, lambda: None))), (small, messages)):
        assert list(parallel._results((0, io.BytesIO(b"".join(sent)), shared_memory, None))) == [first, second]

    def failing():
        yield first
        raise MemoryError

    messages = list(parallel._messages(failing(), None, lambda: None))
    assert [header(m)[0] for m in messages] == [parallel.IN_PIPE, parallel.NOTHING]
    assert list(parallel._results((0, io.BytesIO(b"".join(messages)), None, None))) == [first]
    assert list(parallel._results((0, io.BytesIO(b"".join(messages)[:-3]), None, None))) == [first]   # cut short


def test_results_are_read_when_asked_for_and_end_where_the_child_failed(tmp_path):
    """The parent reads a child's results one at a time; a failure after the first ends them there."""
    from govrule.runtime import parallel

    def work(part):
        told = yield part * 2
        if part == 3:
            raise ValueError
        yield part * 3, told

    finished = []

    def own(part):
        assert part == 1
        yield "the parent's part"
        finished.append(part)           # the rest of the parent's work, once the children are told

    taken = {part: list(results) for part, results in parallel.side_by_side([1, 2, 3], work, own)}
    assert taken == {2: [4, (6, "the parent's part")], 3: [6]}
    assert finished == [1]


class _Made:
    """Something made by the reader (weak references need a class of our own)."""


def test_nothing_is_kept_in_a_process_that_does_not_leave_at_exit():
    import weakref

    from govrule.runtime.leaving import keep_until_exit

    made = _Made()
    gone = weakref.ref(made)
    keep_until_exit(made)
    del made
    assert gone() is None


def test_a_process_that_leaves_at_exit_keeps_what_it_is_given(monkeypatch):
    import weakref

    from govrule.runtime import leaving

    monkeypatch.setattr(leaving, "_kept", None)     # restored after the test: the suite frees as usual
    leaving.leaving_at_exit()
    made = _Made()
    alive = weakref.ref(made)
    leaving.keep_until_exit(made)
    del made
    assert alive() is not None


def test_a_leaving_reader_keeps_what_it_no_longer_needs_and_leaves_its_children_to_the_system(tmp_path, monkeypatch):
    import mmap

    from govrule.runtime import leaving
    from govrule.runtime.links import ItemLinks
    from govrule.runtime.parts import Part

    monkeypatch.setattr(leaving, "_kept", None)
    leaving.leaving_at_exit()
    plan = compiled_seed("fengqiu").plan
    evaluate(plan, messy_ledger(tmp_path), monkeypatch, 3)
    kinds = [type(kept) for kept in leaving._kept]
    assert kinds.count(ItemLinks) == 1 and kinds.count(Part) == 2
    assert kinds.count(mmap.mmap) == 2                   # the memory each child wrote into, not unmapped
    for _ in range(2):                                   # the children were ended but left to the system
        assert os.waitpid(-1, 0)[0] > 0


def table_of(tmp_path, text: str):
    from govrule.runtime.sources import open_table

    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    return open_table(path)


def records(table) -> list[tuple[int, list[str]]]:
    return [(number, cells) for batch in table.batches for number, cells in zip(batch.numbers, batch.rows)]


def test_split_parts_hold_every_record_once_and_are_numbered_as_in_the_file_once_placed(tmp_path):
    """Each part is numbered as if it came right after the header; shifted by the lines of the
    parts before it (as the reader does), the numbers are the file's."""
    text = "日期,单位,事项\n" + "".join(f"2023-01-{1 + i % 28:02d},甲局,报送{i}\n" for i in range(50)) + "\n末行,,"
    whole = records(table_of(tmp_path, text))
    for parts in (2, 3, 7):
        pieces = table_of(tmp_path, text).split(parts)
        assert pieces is not None and 1 < len(pieces) <= parts
        placed, lines, first_end = [], 0, 0
        for k, piece in enumerate(pieces):
            first_end = lines if k == 1 else first_end
            assert piece.lines_after_first() == lines - first_end    # counted from the bytes, unread
            own = records(piece)
            assert own[0][0] == 2
            placed += [(number + lines, cells) for number, cells in own]
            lines += len(own)
        assert placed == whole
    assert table_of(tmp_path, text).lines_after_first() == 0


def test_split_cuts_into_parts_of_about_equal_length(tmp_path):
    text = "a,b,c\n" + "1,2,3\n" * 1000
    first, second = (len(records(part)) for part in table_of(tmp_path, text).split(2))
    assert 490 <= first <= 510 and first + second == 1000


def test_split_gives_the_first_part_its_share(tmp_path):
    """The parent's own part can be longer: it does not pack or send its rows."""
    text = "a,b,c\n" + "1,2,3\n" * 1000
    sizes = [len(records(part)) for part in table_of(tmp_path, text).split(3, first=2.0)]
    assert 495 <= sizes[0] <= 505 and all(245 <= size <= 255 for size in sizes[1:]) and sum(sizes) == 1000


@pytest.mark.parametrize("text", [
    'a,b,c\n1,"two\nlines",3\n4,5,6\n',          # a quoted cell may run over lines: cuts could fall inside
    "a,b,c\r1,2,3\r4,5,6\r",                      # lone carriage returns end lines the csv module's way
])
def test_split_declines_where_a_cut_could_fall_inside_a_record(tmp_path, text):
    assert table_of(tmp_path, text).split(2) is None


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_unreadable_bytes_cost_their_own_rows_wherever_the_file_is_cut(tmp_path, monkeypatch, encoding):
    """A stretch with unreadable bytes is decoded with them replaced; each record holding one is
    rejected, saying which cell, the same in any number of parts and as the csv module's reading."""
    from govrule.runtime import sources
    from govrule.runtime.run import evaluate_ledger

    plan = compiled_seed("fengqiu").plan
    path = messy_ledger(tmp_path)
    lines = path.read_text(encoding="utf-8").split("\n")
    broken = {5, len(lines) // 2, len(lines) - 3}
    data = b"\n".join(line.encode(encoding) + (b"\xff\xfe" if i in broken else b"") for i, line in enumerate(lines))
    path.write_bytes(data)
    alone = outcome(evaluate(plan, path, monkeypatch, 1))
    assert outcome(evaluate(plan, path, monkeypatch, 3)) == alone
    damaged = [r for r in alone["rejected"] if "无法识别的字节" in r[0]]
    assert sorted(int(text.split(":")[1]) for text, _ in damaged) == sorted(i + 1 for i in broken)
    monkeypatch.setattr(sources, "_lines", lambda path, data, encoding: sources._csv(path, *sources.decode(data)))
    assert outcome(evaluate_ledger(plan, [path])) == alone          # the csv module's reading of the whole text


def test_workers_follow_the_environment(monkeypatch):
    from govrule.runtime.parallel import workers

    monkeypatch.setenv("GOVRULE_WORKERS", "1")
    assert workers() == 1
    monkeypatch.delenv("GOVRULE_WORKERS")
    assert workers() >= 1


def test_no_forking_beside_other_threads(monkeypatch):
    import threading

    from govrule.runtime.parallel import workers

    monkeypatch.setenv("GOVRULE_WORKERS", "4")
    assert workers() == 4
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert workers() == 1
    finally:
        stop.set()
        thread.join()


def test_children_reaped_by_the_system_are_no_error(tmp_path, monkeypatch):
    """A parent process may pass down SIGCHLD ignored: the system then reaps children itself."""
    import signal

    plan = compiled_seed("fengqiu").plan
    path = messy_ledger(tmp_path)
    alone = outcome(evaluate(plan, path, monkeypatch, 1))
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert outcome(evaluate(plan, path, monkeypatch, 3)) == alone
    finally:
        signal.signal(signal.SIGCHLD, previous)


def test_an_error_in_the_parent_leaves_no_child_behind(tmp_path, monkeypatch):
    import os

    from govrule.runtime import ledger

    plan = compiled_seed("fengqiu").plan
    path = messy_ledger(tmp_path)
    original = ledger._read_part
    parent = os.getpid()

    def failing(*args):
        if os.getpid() == parent:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(ledger, "_read_part", failing)
    with pytest.raises(KeyboardInterrupt):
        evaluate(plan, path, monkeypatch, 3)
    with pytest.raises(ChildProcessError):      # no child left, running or unreaped
        os.waitpid(-1, os.WNOHANG)


def test_progress_counts_every_record_whoever_reads_it(tmp_path, monkeypatch):
    from govrule.runtime import ledger
    from govrule.runtime.run import evaluate_ledger

    plan = compiled_seed("fengqiu").plan
    path = messy_ledger(tmp_path)
    monkeypatch.setattr(ledger, "PARALLEL_MIN_BYTES", 1)
    counts = {}
    for workers in (1, 3):
        monkeypatch.setenv("GOVRULE_WORKERS", str(workers))
        seen = []
        evaluate_ledger(plan, [path], progress=seen.append)
        counts[workers] = sum(seen)
    records = len(path.read_text(encoding="utf-8").splitlines()) - 1
    assert counts[1] == counts[3] == records


cell_text = st.text(alphabet=st.sampled_from("ab甲局 ,\t\x00·《》１"), max_size=6).map(lambda t: t.replace(",", ""))


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(st.lists(cell_text, min_size=0, max_size=5).map(",".join), max_size=12),
       header_ending=st.sampled_from(["\n", "\r\n"]), endings=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=12),
       last=st.booleans())
def test_splitting_lines_reads_what_the_csv_module_reads(lines, header_ending, endings, last):
    """Where no record spans lines, the fast reader (split at line breaks and commas) gives every
    record and row number the csv module gives: blank lines, short rows, a missing last break, and
    lines ended by \r\n, \n or a lone \r (as an old Mac spreadsheet writes them) in any mix."""
    from govrule.runtime.sources import _csv_batches, _line_batches

    body = "".join(line + ending for line, ending in zip(lines, endings))
    if lines and not last:
        body = body[:-len(endings[len(lines) - 1])]
    text = "日期,单位,事项" + header_ending + body
    data = text.encode("utf-8")
    fast = [(n, cells) for b in _line_batches(data, data.find(b"\n") + 1, len(data), "UTF-8")
            for n, cells in zip(b.numbers, b.rows)]
    slow = [(n, cells) for b in _csv_batches(text, 3, False, skip=1) for n, cells in zip(b.numbers, b.rows)]
    # the csv module gives [] for a blank line, the split [""]: both are a blank record to the reader
    assert [(n, cells or [""]) for n, cells in slow] == fast


def test_lone_carriage_returns_in_a_big_file_end_lines_in_every_part(tmp_path, monkeypatch):
    """A ledger whose lines end in \r here and there is still read in parts; every row keeps the
    number a spreadsheet gives it, whichever part it falls in."""
    plan = compiled_seed("fengqiu").plan
    path = messy_ledger(tmp_path)
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    text = "".join(line + ("\r" if 0 < i % 7 == 3 else "\n") for i, line in enumerate(lines[:-1])) + lines[-1]
    path.write_bytes(text.encode("utf-8"))
    alone = outcome(evaluate(plan, path, monkeypatch, 1))
    assert outcome(evaluate(plan, path, monkeypatch, 3)) == alone
    physical = text.replace("\r", "\n").split("\n")            # line n of the file is physical[n - 1]
    assert len(alone["rows"]) > 100 and alone["rejected"]
    for file, number, day, unit, *_ in alone["rows"]:
        assert physical[number - 1].startswith(f"{day.isoformat()},{unit}")
    for reason, cells in alone["rejected"]:
        number = int(reason.split(":")[1])
        assert physical[number - 1] == ",".join(value for _, value in cells).rstrip(",") or \
            physical[number - 1].startswith(cells[0][1])


bad_bytes = st.sampled_from([b"\x81\x30", b"\x84\x31\xa5", b"\xff", b"\x81", b"\xfe\x39\xfe", b"\xe4\xb8", b"\xa1"])
raw_cell = st.lists(st.one_of(st.sampled_from("ab甲局 ·《》１"), bad_bytes), max_size=4)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.lists(raw_cell, min_size=1, max_size=4), max_size=14),
       encoding=st.sampled_from(["UTF-8", "GB18030"]), batch=st.integers(1, 4), last=st.booleans())
def test_stretches_decode_as_the_whole_file_would(lines, encoding, batch, last):
    """However a file is cut into stretches, unreadable bytes are replaced as when the whole file is
    decoded at once (by the same rule: a line break is never taken for part of a character), and
    exactly the records holding them carry the problem, in the cell where it is, as the csv module
    reads the whole text."""
    from unittest.mock import patch

    from govrule.runtime import sources

    codec = "utf-8" if encoding == "UTF-8" else "gb18030"
    records = [b",".join(b"".join(p if isinstance(p, bytes) else p.encode(codec) for p in cell) for cell in line)
               for line in lines]
    data = "日期,单位,事项\n".encode(codec) + b"\n".join(records) + (b"\n" if last and records else b"")
    with patch.object(sources, "BATCH", batch):      # stretches of `batch` * 64 bytes
        fast = [(n, cells, b.problems.get(i)) for b in sources._line_batches(data, data.find(b"\n") + 1, len(data), encoding)
                for i, (n, cells) in enumerate(zip(b.numbers, b.rows))]
    text = sources._decoded(data, codec)[0]
    slow = [(n, cells or [""], b.problems.get(i)) for b in sources._csv_batches(text, 3, True, skip=1)
            for i, (n, cells) in enumerate(zip(b.numbers, b.rows))]
    assert fast == slow


piece = st.sampled_from(["ab", "甲局", "信息", "·", "\ufffd", "\ufeff"])
utf8_line = st.lists(piece.map(str.encode), max_size=6).map(b"".join)
gb_line = st.lists(piece.filter(lambda p: p != "\ufffd").map(lambda p: p.encode("gb18030")), max_size=6).map(b"".join)
mixed_line = st.lists(st.one_of(piece.map(str.encode), bad_bytes), max_size=5).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(st.one_of(utf8_line, gb_line, mixed_line), max_size=24), header=st.sampled_from(
    ["日期,单位,事项".encode("gb18030"), b"date,unit,event", b"\xef\xbb\xbfdate"]), judged=st.integers(1, 40))
def test_a_file_judged_a_stretch_at_a_time_gets_the_encoding_the_whole_file_would(lines, header, judged):
    """A file whose first stretch is not UTF-8 Chinese is judged as decode judges the whole file (UTF-8
    with a few bad bytes stays UTF-8), though it stops reading once the rest could not change that."""
    from unittest.mock import patch

    from govrule.runtime import sources

    data = header + b"\n" + b"\n".join(lines)
    whole, damaged = sources._decoded(data, "utf-8-sig")
    expected = "UTF-8" if not damaged or sources._mostly_readable(whole) else "GB18030"
    with patch.object(sources, "STRETCH", 1), patch.object(sources, "JUDGED", judged):
        assert sources._encoding_of(data) == expected


@pytest.mark.parametrize("variant", ["utf-8", "gb18030", "unreadable bytes", "quoted cells", "lone carriage returns"])
def test_a_big_file_is_mapped_and_read_as_if_read_whole(tmp_path, monkeypatch, variant):
    """A big CSV file is mapped into memory instead of read (sources._contents): every way a file
    can be read, in parts or by the csv module, gives what reading its bytes whole gives."""
    import mmap

    from govrule.runtime import sources

    plan = compiled_seed("fengqiu").plan
    text = messy_ledger(tmp_path).read_text(encoding="utf-8")
    lines = text.split("\n")
    if variant == "quoted cells":
        lines[7] = lines[7].replace(",,", ',"",', 1)
    elif variant == "lone carriage returns":
        text = "".join(line + ("\r" if i % 7 == 3 else "\n") for i, line in enumerate(lines[:-1])) + lines[-1]
        lines = text.split("\n")
    data = "\n".join(lines).encode("gb18030" if variant == "gb18030" else "utf-8")
    if variant == "unreadable bytes":
        data = data.replace(b"\n", b"\xff\n", 3)
    assert (b'"' in data) == (variant == "quoted cells") and (b"\xff" in data) == (variant == "unreadable bytes")
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    whole = outcome(evaluate(plan, path, monkeypatch, 3))
    mapped = []
    original = sources._contents

    def spy(path, mappable):
        found = original(path, mappable)
        mapped.append(found)
        return found

    monkeypatch.setattr(sources, "MAPPED_BYTES", 1)
    monkeypatch.setattr(sources, "_contents", spy)
    assert outcome(evaluate(plan, path, monkeypatch, 3)) == whole
    assert len(mapped) == 1 and isinstance(mapped[0], mmap.mmap)


def test_a_named_pipe_is_read_from_the_one_opening(tmp_path, monkeypatch):
    """A ledger given as a named pipe (mkfifo) cannot be mapped; it is read from the same opening
    that found out, which is the only one its writer feeds."""
    import os
    import threading

    from govrule.runtime import sources

    monkeypatch.setattr(sources, "MAPPED_BYTES", 1)
    text = messy_ledger(tmp_path).read_bytes()
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    writer = threading.Thread(target=lambda: pipe.write_bytes(text))
    writer.start()
    try:
        table = sources.open_table(pipe)
        assert table.data == text                        # read whole, not mapped
    finally:
        writer.join(timeout=5)
    assert not writer.is_alive()


def test_a_child_failing_inside_its_work_is_told_nothing_and_the_parent_reads_its_part(tmp_path, monkeypatch):
    """The child's reading fails after its work began (so it sends NOTHING, then leaves): the parent
    reads that part itself, and telling a child that has gone what its own part came to is no error,
    even where a broken pipe would end the program (SIGPIPE restored to its default)."""
    import subprocess

    script = tmp_path / "failing_child.py"
    script.write_text(
        "import os, signal, sys\n"
        "signal.signal(signal.SIGPIPE, signal.SIG_DFL)\n"
        "from govrule.runtime import ledger\n"
        "from govrule.runtime.run import evaluate_ledger\n"
        "from govrule.compiler.pipeline import compile_file\n"
        "parent = os.getpid()\n"
        "original = ledger._read_part\n"
        "def failing(table, *args, **kwargs):\n"
        "    if os.getpid() != parent:\n"
        "        raise MemoryError\n"
        "    return original(table, *args, **kwargs)\n"
        "ledger._read_part = failing\n"
        "ledger.PARALLEL_MIN_BYTES = 1\n"
        "result = evaluate_ledger(compile_file(sys.argv[1]).plan, [sys.argv[2]])\n"
        "print(len(result.rows), len(result.rejected))\n", encoding="utf-8")
    path = messy_ledger(tmp_path)
    plan = compiled_seed("fengqiu").plan
    alone = evaluate(plan, path, monkeypatch, 1)
    done = subprocess.run([sys.executable, str(script), str(POLICIES / SEED_POLICIES["fengqiu"]), str(path)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "GOVRULE_WORKERS": "3"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(len(alone.rows)), str(len(alone.rejected))]


def test_many_adoptions_before_their_submissions_in_a_later_part_neither_hang_nor_differ(tmp_path, monkeypatch):
    """40,000 items adopted in the first part and submitted in the second, read where no shared
    memory can be had: what the parent tells its child stays small (TOLD_ITEMS), so it never waits
    on a child that is itself waiting to send its part through the pipe."""
    import csv
    import subprocess

    from govrule.runtime import ledger

    with open(DATA / "fengqiu" / "ledger.csv", encoding="utf-8-sig", newline="") as file:
        unit = next(csv.DictReader(file))["单位"]
    count = 40_000
    adopted = [{"日期": "2023-03-03", "单位": unit, "事项": "采用", "信息编号": f"A{i:06d}", "刊物": "共享信息",
                "级别": "市"} for i in range(count)]
    submitted = [{"日期": "2023-03-04", "单位": unit, "事项": "报送", "信息编号": f"A{i:06d}", "类别": "调研"}
                 for i in range(count)]
    path = write_ledger(tmp_path / "late.csv", adopted + submitted)
    assert count > ledger.TOLD_ITEMS
    script = tmp_path / "no_shared_memory.py"
    script.write_text(
        "import sys\n"
        "from govrule.runtime import ledger, parallel\n"
        "from govrule.runtime.run import evaluate_ledger\n"
        "from govrule.compiler.pipeline import compile_file\n"
        "parallel._shared_memory = lambda: None\n"
        "ledger.PARALLEL_MIN_BYTES = 1\n"
        "result = evaluate_ledger(compile_file(sys.argv[1]).plan, [sys.argv[2]])\n"
        "print(len(result.rows), sum(r.category == '调研' for r in result.rows if r.event == '采用'))\n",
        encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(POLICIES / SEED_POLICIES["fengqiu"]), str(path)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "GOVRULE_WORKERS": "2"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(2 * count), str(count)]     # every adoption took its submission's 类别
