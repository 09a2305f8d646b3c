"""The ledger reader works a batch at a time (sources.BATCH records); the size of a batch must never
change an outcome. Every ledger here is read with tiny batches (1, 2, 3, 7 records) and with one
batch for the whole file, and everything a user can see is compared: rejections (text and cells),
notices, which rows were counted or left unmatched, what each counted row carries from its item's
报送 row, and every unit's results."""
from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections import Counter
from datetime import date

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import COLUMNS, DATA, SEED_POLICIES, compile_text, compiled_seed, results_by_unit, write_ledger

SMALL = (1, 2, 3, 7)
HUGE = 10**9

POLICY = """标题：批次测试
考核期：2020年
【刊物】
甲刊：县
乙刊：市
【类别】调研、动态
【标记】负面、迟报
【事项】失实、约稿
【单位组】
甲组：甲局、乙局、丙局
【计分：采用分】
被《甲刊》采用的调研信息，每条计5分
被《甲刊》采用的动态信息，每条计2分
被《甲刊》采用的，每条计1分
被《乙刊》采用的，每条计3分
同一行适用多条的，取最具体的一条
同一信息被多个刊物采用的，累计计分
负面信息，分值加一倍
【计分：长文分】
被采用的信息字数不少于1000的，每条计1分
同一信息被多个刊物采用的，累计计分
【计分：批示分】
已采用的信息被县领导批示的，每条加4分
【计分：报送分】
报送调研信息，每条计1分
【计分：扣分】
失实，每次扣3分
约稿，按分值计分，最高10分
【中间量】
负面报送数：条数（报送负面信息）
迟报采用数：条数（采用迟报信息）
【结果】
总分：采用分 + 长文分 + 批示分 + 报送分 + 扣分
季度分（按季）：采用分
负面数：负面报送数
迟报数：迟报采用数
"""


@functools.cache
def plan():
    compiled = compile_text(POLICY)
    assert compiled.ok, [f"{d.code} {d.message}" for d in compiled.diagnostics.items]
    return compiled.plan


def evaluate(the_plan, paths, batch: int, progress=None):
    """evaluate_ledger with sources.BATCH set to `batch` for the duration of the call."""
    from govrule.runtime import sources
    from govrule.runtime.run import evaluate_ledger

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources, "BATCH", batch)
        return evaluate_ledger(the_plan, list(paths), progress=progress)


ATTRIBUTES = ("file", "row", "unit", "sub_unit", "event", "item", "category", "tags", "length", "count", "points",
              "date", "publication", "level", "form")


def attributes(row) -> tuple:
    return tuple(getattr(row, name) for name in ATTRIBUTES)


def outcome(result) -> dict:
    """Everything a user can see of a run."""
    return {
        "rejected": [(str(r), r.cells) for r in result.rejected],
        "notices": list(result.notices),
        "counted": [(r.file, r.row) for r in result.counted],
        "unmatched": [(r.file, r.row) for r in result.unmatched],
        "rows": [attributes(r) for r in result.counted],
        "unmatched rows": [attributes(r) for r in result.unmatched],
        "rows_counted": result.rows_counted,
        "units": [(u.unit, u.group, u.results) for u in result.units],
    }


def assert_same_in_every_batch_size(the_plan, paths, sizes=SMALL):
    """The run with one batch for everything; each smaller batch size must give exactly the same."""
    whole = evaluate(the_plan, paths, HUGE)
    expected = outcome(whole)
    for size in sizes:
        got = outcome(evaluate(the_plan, paths, size))
        for key in expected:
            assert got[key] == expected[key], f"BATCH={size}: {key} differs"
    return whole


def write_lines(path, header: list[str], records: list, newline: str = "\n"):
    """A CSV file written record by record: a list is a record, a str is a raw line (blank lines,
    broken quotes, rows of another width)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    for record in records:
        if isinstance(record, str):
            buffer.write(record + newline)
        else:
            writer.writerow(record)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def by_row(result) -> dict:
    return {r.row: r for r in result.counted + result.unmatched}


def mismatch(path, row: int, item: str, submitter: str, unit: str) -> str:
    return f"{path}:{row}: 信息{item}由「{submitter}」报送，这一行写的是「{unit}」；按这一行的单位计分"


def adopt(day, unit, item, publication="甲刊", level="县", **cells) -> dict:
    return {"日期": day, "单位": unit, "事项": "采用", "信息编号": item, "刊物": publication, "级别": level, **cells}


def submit(day, unit, item, category="", tags="", length="", **cells) -> dict:
    return {"日期": day, "单位": unit, "事项": "报送", "信息编号": item, "类别": category, "标记": tags,
            "字数": length, **cells}


# ---- 1. adoptions and instructions read before their 报送 row ---------------------------------

ADOPTED_FIRST = [
    adopt("2020-03-02", "乙局", "A1"),                                              # 2: 报送 by 甲局 at 9
    {"日期": "2020-03-03", "单位": "甲局", "事项": "批示", "信息编号": "A1", "级别": "县"},  # 3
    adopt("2020-04-01", "甲局", "B2", "乙刊", "市"),                                # 4: 报送 by 乙局 at 10
    {"日期": "2020-04-02", "单位": "甲局", "事项": "失实", "数量": "2"},            # 5
    adopt("2020-05-06", "丙局", "A1", "乙刊", "市"),                                # 6
    {"日期": "2020-05-07", "单位": "丙局", "事项": "约稿", "分值": "12"},            # 7: capped at 10
    {"日期": "2020-06-01", "单位": "乙局", "事项": "失实"},                          # 8
    submit("2020-02-01", "甲局", "A1", "调研", "负面", "1200"),                      # 9
    submit("2020-02-02", "乙局", "B2", "动态", "", "800"),                           # 10
    adopt("2020-07-01", "乙局", "B2", 类别="调研", 字数="300"),                      # 11: its own cells stay
]


def test_adoptions_read_before_their_submission_take_its_cells_in_every_batch_size(tmp_path):
    path = write_ledger(tmp_path / "l.csv", ADOPTED_FIRST)
    result = assert_same_in_every_batch_size(plan(), [path])
    assert not result.rejected
    rows = by_row(result)
    carried = {n: (rows[n].category, rows[n].tags, rows[n].length) for n in (2, 3, 4, 6, 11)}
    assert carried == {2: ("调研", frozenset({"负面"}), 1200), 3: ("调研", frozenset({"负面"}), 1200),
                       4: ("动态", frozenset(), 800), 6: ("调研", frozenset({"负面"}), 1200),
                       11: ("调研", frozenset(), 300)}
    assert [rows[n].unit for n in (2, 4, 6)] == ["乙局", "甲局", "丙局"]     # each counts for its own unit
    assert result.notices[:3] == [mismatch(path, 2, "A1", "甲局", "乙局"), mismatch(path, 4, "B2", "乙局", "甲局"),
                                  mismatch(path, 6, "A1", "甲局", "丙局")]
    assert len(result.notices) == 4 and result.notices[3].startswith(f"{path}:7:分值: ")
    # 乙局: A1 in 甲刊 as 调研 (5), doubled for 负面, 1200字; B2 in 甲刊 as 调研 (5), 300字; one 失实
    # 甲局: B2 in 乙刊 (3); A1 instructed after adoption (4); its 调研 报送 (1); 失实 ×2
    # 丙局: A1 in 乙刊 (3) doubled for 负面, 1200字; 约稿 12 capped at 10
    units = results_by_unit(result)
    assert {u: r["总分"] for u, r in units.items()} == {"甲局": 3 + 4 + 1 - 6, "乙局": 10 + 5 + 1 - 3,
                                                          "丙局": 6 + 1 + 10}
    assert units["乙局"]["季度分"] == {"2020Q1": 10, "2020Q2": 0, "2020Q3": 5, "2020Q4": 0}
    assert units["甲局"]["负面数"] == 1


def test_submission_in_another_file_read_later_carries_across_files(tmp_path):
    first = write_ledger(tmp_path / "a.csv", ADOPTED_FIRST[:7])
    second = write_ledger(tmp_path / "b.csv", ADOPTED_FIRST[7:])
    result = assert_same_in_every_batch_size(plan(), [first, second])
    together = evaluate(plan(), [write_ledger(tmp_path / "one.csv", ADOPTED_FIRST)], HUGE)
    assert results_by_unit(result) == results_by_unit(together)
    assert result.notices[:3] == [mismatch(first, 2, "A1", "甲局", "乙局"), mismatch(first, 4, "B2", "乙局", "甲局"),
                                  mismatch(first, 6, "A1", "甲局", "丙局")]
    assert [(r.file, r.row, r.length) for r in result.counted if r.item == "A1"] == [
        (str(first), 2, 1200), (str(first), 3, 1200), (str(first), 6, 1200), (str(second), 2, 1200)]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if v != ""}, ensure_ascii=False) + "\n"
                            for r in rows), encoding="utf-8")
    return path


def write_xlsx(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([date.fromisoformat(row[c]) if c == "日期" else (row.get(c) or None) for c in COLUMNS])
    book.save(path)
    return path


@pytest.mark.parametrize("writer", [write_jsonl, write_xlsx], ids=["jsonl", "xlsx"])
def test_jsonl_and_xlsx_batches_give_what_the_csv_gives(tmp_path, writer):
    csv_result = evaluate(plan(), [write_ledger(tmp_path / "l.csv", ADOPTED_FIRST)], HUGE)
    path = writer(tmp_path / ("l.jsonl" if writer is write_jsonl else "l.xlsx"), ADOPTED_FIRST)
    result = assert_same_in_every_batch_size(plan(), [path], sizes=(1, 3))
    shift = 1 if writer is write_jsonl else 0       # a JSONL row is cited by its line: there is no header row
    assert [r.row + shift for r in result.counted] == [r.row for r in csv_result.counted]
    assert [n.replace(f"{path}:{r - shift}:", "") for n, r in zip(result.notices, (2, 4, 6, 7))] == \
        [n.replace(f"{tmp_path / 'l.csv'}:{r}:", "") for n, r in zip(csv_result.notices, (2, 4, 6, 7))]
    assert len(result.notices) == len(csv_result.notices) == 4
    expected, got = outcome(csv_result), outcome(result)
    for key in ("units", "rows_counted"):
        assert got[key] == expected[key], key
    assert [a[2:] for a in got["rows"]] == [a[2:] for a in expected["rows"]]


# ---- 2. which 报送 row is an item's source ---------------------------------------------------

SOURCES = [
    adopt("2020-03-01", "甲局", "C1"),                                  # 2: before C1's first 报送
    adopt("2020-03-01", "甲局", "D1"),                                  # 3: before D1's (outside) 报送
    submit("2020-03-02", "甲局", "C1", "动态", "", "500"),               # 4: C1's first 报送: the source
    adopt("2020-03-03", "甲局", "C1"),                                  # 5
    submit("2019-12-20", "乙局", "D1", "调研", "负面", "2000"),          # 6: D1's only 报送: outside the period
    submit("2019-11-01", "丙局", "E1", "动态", "", "100"),               # 7: outside, earlier than E1's in-period one
    submit("2020-03-05", "甲局", "C1", "调研", "迟报", "1500"),          # 8: C1's second 报送: not the source
    adopt("2020-03-06", "甲局", "C1", "乙刊", "市"),                    # 9
    adopt("2020-03-07", "甲局", "D1"),                                  # 10
    adopt("2020-03-09", "丙局", "E1"),                                  # 11: before E1's in-period 报送
    submit("2020-03-10", "丙局", "E1", "调研", "", "1100"),              # 12: E1's source
    adopt("2020-03-11", "乙局", "D1", "乙刊", "市"),                    # 13
    adopt("2020-03-12", "丙局", "E1", "乙刊", "市"),                    # 14
]


def test_the_first_submission_in_ledger_order_and_an_outside_one_only_when_alone(tmp_path):
    path = write_ledger(tmp_path / "l.csv", SOURCES)
    result = assert_same_in_every_batch_size(plan(), [path])
    assert [(r.row, r.column) for r in result.rejected] == [(6, "日期"), (7, "日期")]
    assert all("不在考核期" in r.reason for r in result.rejected)
    rows = by_row(result)
    cells = {n: (rows[n].category, rows[n].tags, rows[n].length) for n in (2, 3, 5, 9, 10, 11, 13, 14)}
    c1, d1, e1 = ("动态", frozenset(), 500), ("调研", frozenset({"负面"}), 2000), ("调研", frozenset(), 1100)
    assert cells == {2: c1, 5: c1, 9: c1, 3: d1, 10: d1, 13: d1, 11: e1, 14: e1}
    assert rows[8].category == "调研" and rows[8].tags == frozenset({"迟报"})   # a 报送 row keeps its own cells
    # D1 was submitted by 乙局 (outside the period): 甲局's adoptions are noticed, 乙局's is not
    assert result.notices == [mismatch(path, 3, "D1", "乙局", "甲局"), mismatch(path, 10, "D1", "乙局", "甲局")]
    units = results_by_unit(result)
    # 甲局: C1 as 动态 in 甲刊 twice (2+2) and in 乙刊 (3); D1 as 负面 调研 in 甲刊 twice (5+5)×2, 2000字 twice;
    # its second C1 报送 is 调研 (1)
    assert units["甲局"]["总分"] == 7 + 20 + 2 + 1
    assert units["甲局"]["迟报数"] == 0          # 迟报 is on C1's second 报送 only, never carried
    # 丙局: E1 as 调研 in 甲刊 (5) and 乙刊 (3), 1100字 twice, its 调研 报送 (1)
    assert units["丙局"]["总分"] == 8 + 2 + 1


# ---- 3. bad rows, blank lines and odd records wherever a batch starts or ends ------------------

def test_bad_rows_blank_lines_and_odd_widths_at_every_batch_boundary(tmp_path):
    header = COLUMNS
    ok = ["2020-03-01", "甲局", "失实", "", "", "", "", "", "", "", "", "", ""]

    def row(**cells):
        return [cells.get(c, ok[i]) for i, c in enumerate(header)]

    records = [
        row(单位="丁局"),                                  # 2: unknown unit, first record of every batch size
        row(),                                             # 3
        "",                                                # 4: a blank line
        row(日期="2020-02-30"),                            # 5: no such date
        ",,,,,,,,,,,,",                                    # 6: a line of empty cells
        "2020-03-02,乙局,失实",                            # 7: short: padded and counted
        row(备注="第一行\n第二行\n第三行"),                # 8: one record on three lines
        row(数量="2.5"),                                   # 9: 数量 not whole
        row(单位="乙局") + ["多出的格", "又一格"],         # 10: longer than the header: counted
        row(事项="采用", 信息编号="Z9", 刊物="甲刊"),     # 11: 采用 without a level
        "2020-03-04,丙局,约稿,,,,,,,,,7",                  # 12: short, with 分值 7
        row(事项="报送"),                                  # 13: 报送 without an item
        row(字数="一千字"),                                # 14: 字数 not a number
        "",                                                # 15
        row(日期="2021-01-01"),                            # 16: outside the period, last record
    ]
    path = write_lines(tmp_path / "l.csv", header, records)
    result = assert_same_in_every_batch_size(plan(), [path])
    assert [(r.row, r.column) for r in result.rejected] == [
        (2, "单位"), (5, "日期"), (9, "数量"), (11, "级别"), (13, "信息编号"), (14, "字数"), (16, "日期")]
    assert [r.row for r in result.counted] == [3, 7, 8, 10, 12]
    assert not result.unmatched
    assert len(result.rejected) + len(result.counted) == len(records) - 3       # three blank lines
    assert by_row(result)[12].points == 7
    assert dict(result.rejected[0].cells)["单位"] == "丁局" and len(result.rejected[0].cells) == len(header)
    assert {u: r["总分"] for u, r in results_by_unit(result).items()} == {"甲局": -6, "乙局": -6, "丙局": 7}


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_a_multi_line_note_is_one_record_and_the_rows_after_it_keep_their_numbers(tmp_path, newline):
    records = [[f"2020-04-{d:02d}", "甲局", "失实", ""] for d in range(1, 13)]
    records[4][3] = newline.join(["多行备注", "第二行", "第三行"])          # row 6
    records[9][3] = "又一条" + newline + "两行备注"                          # row 11
    path = write_lines(tmp_path / "l.csv", ["日期", "单位", "事项", "备注"], records, newline)
    result = assert_same_in_every_batch_size(plan(), [path])
    assert not result.rejected
    assert [(r.row, r.date.day) for r in result.counted] == [(n + 2, n + 1) for n in range(12)]


def test_an_unclosed_quote_in_a_later_batch_rejects_one_line_and_the_rest_are_read(tmp_path):
    header = ["日期", "单位", "事项", "信息编号", "备注"]
    lines = [f"2020-05-{d:02d},甲局,失实,," for d in range(1, 9)]          # rows 2-9
    lines.append('2020-05-09,甲局,失实,,"没有闭合的备注')                    # row 10
    lines += [f"2020-06-{d:02d},乙局,失实,," for d in range(1, 5)]         # rows 11-14
    lines.append('2020-06-05,丙局,失实,,"两行的\n备注"')                      # row 15, on two lines
    lines.append("2020-06-06,丙局,失实,,")                                   # row 16
    path = write_lines(tmp_path / "l.csv", header, lines)
    progress = []
    result = assert_same_in_every_batch_size(plan(), [path])
    for size in (1, 3, HUGE):
        calls = []
        evaluate(plan(), [path], size, progress=calls.append)
        progress.append(sum(calls))
    [rejection] = result.rejected
    assert (rejection.row, rejection.column) == (10, "备注") and "引号" in rejection.reason
    assert dict(rejection.cells)["备注"] == "没有闭合的备注"
    assert [r.row for r in result.counted] == [*range(2, 10), *range(11, 17)]
    assert [r.date for r in result.counted][-3:] == [date(2020, 6, 4), date(2020, 6, 5), date(2020, 6, 6)]
    assert progress == [15, 15, 15]


QUOTES = {   # lines after the header -> (rejected (row, column), counted rows)
    "first record": (['2020-05-01,甲局,失实,"没有闭合', "2020-05-02,甲局,失实,", "2020-05-03,丁局,失实,"],
                     [(2, "备注"), (4, "单位")], [3]),
    "two of them": (['2020-05-01,甲局,失实,"没有闭合', "2020-05-02,甲局,失实,", '2020-05-03,甲局,失实,"又没闭合',
                     "2020-05-04,丁局,失实,", "2020-05-05,甲局,失实,"], [(2, "备注"), (4, "备注"), (5, "单位")], [3, 6]),
    "then a note": (['2020-05-01,甲局,失实,"没有闭合', '2020-05-02,甲局,失实,"两行{nl}备注"', "2020-05-03,甲局,失实,"],
                    [(2, "备注")], [3, 4]),
}


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("case", sorted(QUOTES))
def test_unclosed_quotes_anywhere_in_any_line_ending(tmp_path, case, newline):
    lines, rejected, counted = QUOTES[case]
    path = tmp_path / "l.csv"
    path.write_text(newline.join(["日期,单位,事项,备注", *lines]).replace("{nl}", newline) + newline,
                    encoding="utf-8", newline="")
    result = assert_same_in_every_batch_size(plan(), [path])
    assert [(r.row, r.column) for r in result.rejected] == rejected
    assert [r.row for r in result.counted] == counted


def test_a_file_without_the_optional_columns(tmp_path):
    header = ["日期", "单位", "事项", "级别", "数量", "分值"]
    records = [["2020-03-01", "甲局", "失实", "", "2", ""],
               ["2020-03-02", "甲局", "采用", "县", "", ""],        # no 信息编号 column: rejected on it
               ["2020-03-03", "乙局", "约稿", "", "", "8"],
               ["2020-03-04", "乙局", "报送", "", "", ""],          # 报送 needs an item too
               ["2020-03-05", "丙局", "失实", "", "三", ""],
               ["2020-03-06", "丙局", "批示", "县", "", ""]]
    path = write_lines(tmp_path / "l.csv", header, records)
    result = assert_same_in_every_batch_size(plan(), [path])
    assert [(r.row, r.column) for r in result.rejected] == [(3, "信息编号"), (5, "信息编号"), (7, "信息编号")]
    assert [(r.row, r.item, r.length, r.publication) for r in result.counted] == [
        (2, None, None, None), (4, None, None, None), (6, None, None, None)]
    assert {u: r["总分"] for u, r in results_by_unit(result).items()} == {"甲局": -6, "乙局": 8, "丙局": -9}


def test_duplicated_date_columns_take_the_first_non_empty_cell(tmp_path):
    header = ["日期", "单位", "事项", "date", "信息编号"]
    records = [["2020-03-01", "甲局", "失实", "", ""],            # 2: 日期 only
               ["", "甲局", "失实", "2020-03-02", ""],            # 3: date only
               ["2020-03-03", "甲局", "失实", "2021-09-09", ""],  # 4: both: 日期 wins
               ["2021-03-04", "甲局", "失实", "2020-03-04", ""],  # 5: both: 日期 wins, and is outside
               ["", "甲局", "失实", "", ""],                      # 6: neither
               [" ", "乙局", "失实", "2020-07-01", ""]]           # 7: a space is empty
    path = write_lines(tmp_path / "l.csv", header, records)
    result = assert_same_in_every_batch_size(plan(), [path])
    assert [(r.row, r.date) for r in result.counted] == [(2, date(2020, 3, 1)), (3, date(2020, 3, 2)),
                                                          (4, date(2020, 3, 3)), (7, date(2020, 7, 1))]
    assert [(r.row, r.column) for r in result.rejected] == [(5, "日期"), (6, "日期")]
    assert "不在考核期" in result.rejected[0].reason and "缺少必填" in result.rejected[1].reason
    assert any("第4列「date」与第1列「日期」是同一列" in n for n in result.notices)


# ---- 4. item codes written in full width or traditional characters -----------------------------

def test_full_width_and_traditional_item_codes_link_across_batches(tmp_path):
    rows = [
        adopt("2020-03-01", "乙局", "ＸＹ０１"),                          # 2
        adopt("2020-03-02", "甲局", "A2"),                                # 3: plain codes only in this batch
        submit("2020-03-03", "甲局", "XY01", "调研", "负面", "1300"),      # 4
        {"日期": "2020-03-04", "单位": "甲局", "事项": "批示", "信息编号": " ＸＹ01 ", "级别": "县"},  # 5
        adopt("2020-03-05", "甲局", "XY01", "乙刊", "市"),                 # 6
        adopt("2020-03-06", "丙局", "報告3"),                             # 7
        submit("2020-03-07", "丙局", "报告3", "动态", "", "900"),           # 8
        adopt("2020-03-08", "丙局", "《报告3》", "乙刊", "市"),             # 9
        submit("2020-03-09", "甲局", "Ａ2", "动态"),                        # 10
    ]
    path = write_ledger(tmp_path / "l.csv", rows)
    result = assert_same_in_every_batch_size(plan(), [path])
    assert not result.rejected
    assert [r.row for r in result.unmatched] == [8, 10]          # 动态 报送 rows score nothing
    got = {n: (r.item, r.category, r.tags, r.length) for n, r in by_row(result).items()}
    negative = frozenset({"负面"})
    assert got == {2: ("XY01", "调研", negative, 1300), 3: ("A2", "动态", frozenset(), None),
                   4: ("XY01", "调研", negative, 1300), 5: ("XY01", "调研", negative, 1300),
                   6: ("XY01", "调研", negative, 1300), 7: ("报告3", "动态", frozenset(), 900),
                   8: ("报告3", "动态", frozenset(), 900), 9: ("报告3", "动态", frozenset(), 900),
                   10: ("A2", "动态", frozenset(), None)}
    assert result.notices == [mismatch(path, 2, "XY01", "甲局", "乙局")]
    # 甲局: XY01 in 乙刊 as 负面 (3×2) and 1300字, instructed after adoption (4), 调研 报送 (1); A2 in 甲刊 as 动态 (2)
    assert results_by_unit(result)["甲局"]["总分"] == 6 + 1 + 4 + 1 + 2


# ---- the worked examples of the seed policies -----------------------------------------------

@pytest.mark.parametrize("name", sorted(SEED_POLICIES))
def test_seed_examples_in_small_batches(name):
    the_plan = compiled_seed(name).plan
    result = assert_same_in_every_batch_size(the_plan, [DATA / name / "ledger.csv"], sizes=(7, 97))
    assert len(result.counted) + len(result.unmatched) + len(result.rejected) == \
        len((DATA / name / "ledger.csv").read_text(encoding="utf-8-sig").splitlines()) - 1


# ---- 6. the counted and unmatched rows, evaluated again -------------------------------------

def assert_rows_evaluate_alike(the_plan, result):
    from govrule.runtime.evaluate import Evaluation
    from govrule.runtime.rows import LedgerRows

    rows = sorted(result.counted + result.unmatched, key=lambda r: r.index)
    assert len(rows) == len(result.rows)
    again = Evaluation(the_plan, LedgerRows.of(rows), result.period)
    for unit in result.units:
        for name, value in unit.results.items():
            assert again.output(name, unit.unit) == value, (unit.unit, name)
    assert again.notices == result.evaluation.notices
    assert [(r.file, r.row) for r in (again.ledger.row(i) for i in sorted(again.unrecognized()))] == \
        [(r.file, r.row) for r in result.unmatched]


@pytest.mark.parametrize("ledger", ["adopted_first", "sources", "two_files"])
def test_counted_and_unmatched_rows_evaluated_again_give_the_same_outputs(tmp_path, ledger):
    if ledger == "two_files":
        paths = [write_ledger(tmp_path / "a.csv", ADOPTED_FIRST[:6]), write_ledger(tmp_path / "b.csv", ADOPTED_FIRST[6:])]
    else:
        paths = [write_ledger(tmp_path / "l.csv", ADOPTED_FIRST if ledger == "adopted_first" else SOURCES)]
    assert_rows_evaluate_alike(plan(), evaluate(plan(), paths, 2))


@pytest.mark.parametrize("name", sorted(SEED_POLICIES))
def test_seed_examples_evaluated_again_from_their_rows(name):
    the_plan = compiled_seed(name).plan
    assert_rows_evaluate_alike(the_plan, evaluate(the_plan, [DATA / name / "ledger.csv"], 7))


# ---- 5. random ledgers ----------------------------------------------------------------------

UNITS = ["甲局", "乙局", "丙局"]
ITEMS = ["A1", "A2", "ＡＢ３", "報4", "B5"]          # AB3 and 报4 once normalised


# a row that is fine as it is, and the cells that spoil one (one spoiled cell in about a third of the rows)
OTHER_ROWS = st.fixed_dictionaries({
    "日期": st.sampled_from(["2020-01-15", "2020-06-30", "2020/12/31", "2020年8月1日"]),
    "单位": st.sampled_from(UNITS + [" 乙局 "]),
    "事项": st.sampled_from(["采用", "采用", "采用", "批示", "失实", "约稿"]),
    "信息编号": st.sampled_from(ITEMS + ["a1"]),
    "刊物": st.sampled_from(["甲刊", "《乙刊》", "丙刊"]),
    "级别": st.sampled_from(["县", "市"]),
    "类别": st.sampled_from(["", "", "调研"]),
    "标记": st.sampled_from(["", "", "迟报"]),
    "字数": st.sampled_from(["", "", "1200"]),
    "数量": st.sampled_from(["", "", "2", "二"]),
    "分值": st.sampled_from(["", "5", "12"]),
    "备注": st.sampled_from(["", "", "多行\n备注", "逗号,备注"]),
})
SPOILED = [("日期", "2019-12-31"), ("日期", "2020-02-30"), ("日期", ""), ("单位", "丁局"), ("单位", "甲局/科室"),
           ("单位", ""), ("事项", "报到"), ("信息编号", ""), ("刊物", ""), ("级别", "省级"), ("级别", ""),
           ("字数", "x"), ("数量", "2.5"), ("分值", "优")]


@st.composite
def ledgers(draw):
    """Rows as dicts (None for a blank line), and the same rows in another order. Each item has at
    most one 报送 row, so that no result depends on which of two 报送 rows comes first."""
    rows: list[dict | None] = []
    for item in draw(st.lists(st.sampled_from(ITEMS), unique=True, max_size=len(ITEMS))):
        rows.append(submit(draw(st.sampled_from(["2020-02-01", "2020-11-30", "2019-12-31", "2021-01-01"])),
                           draw(st.sampled_from(UNITS + ["丁局"])), item,
                           draw(st.sampled_from(["", "调研", "动态"])), draw(st.sampled_from(["", "负面", "负面、迟报"])),
                           draw(st.sampled_from(["", "500", "1500", "abc"]))))
    for _ in range(draw(st.integers(0, 22))):
        if draw(st.integers(0, 9)) == 0:
            rows.append(None)
            continue
        row = draw(OTHER_ROWS)
        spoiled = draw(st.one_of(st.none(), st.none(), st.sampled_from(SPOILED)))
        if spoiled is not None:
            row[spoiled[0]] = spoiled[1]
        rows.append(row)
    order = draw(st.permutations(range(len(rows))))
    return rows, [rows[i] for i in order]


def write_rows(path, rows: list[dict | None]):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        if row is None:
            buffer.write("\n")
        else:
            writer.writerow([row.get(c, "") for c in COLUMNS])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


_PLACE = re.compile(r"^.*?:\d+:")


def contents(result) -> dict:
    """A run's outcome with row numbers left out: what must not change when the rows are shuffled."""
    def row(r):
        return tuple(tuple(sorted(v)) if isinstance(v, frozenset) else v for v in attributes(r)[2:])

    return {"units": results_by_unit(result),
            "counted": Counter(map(row, result.counted)), "unmatched": Counter(map(row, result.unmatched)),
            "rejected": Counter((r.column, r.reason, r.suggestion, r.cells) for r in result.rejected),
            "notices": Counter(_PLACE.sub("", n) for n in result.notices)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers())
def test_random_ledgers_score_alike_in_any_batch_size_and_any_order(tmp_path, ledger):
    rows, shuffled = ledger
    path = write_rows(tmp_path / "l.csv", rows)
    result = assert_same_in_every_batch_size(plan(), [path], sizes=(1, 2, 7))
    written = sum(r is not None and any(v.strip() for v in r.values()) for r in rows)
    assert len(result.counted) + len(result.unmatched) + len(result.rejected) == written
    other = evaluate(plan(), [write_rows(tmp_path / "shuffled.csv", shuffled)], 3)
    assert contents(other) == contents(result)


# ---- records the file garbles, short records, and duplicated date columns -------------------

def test_rejections_stay_in_ledger_order_when_a_batch_also_holds_a_garbled_record(tmp_path):
    """A record the file itself garbles (a quote never closed, bytes in no encoding) is rejected in its
    place among the other rejected rows of its batch, whatever the batch size."""
    quote = write_lines(tmp_path / "quote.csv", ["日期", "单位", "事项", "备注"], [
        "2020-05-01,丁局,失实,", '2020-05-02,甲局,失实,"没有闭合', "2020-05-03,甲局,失实,", "2020-05-04,甲局,失实,"])
    damaged = tmp_path / "bytes.csv"
    damaged.write_bytes("日期,单位,事项,备注\n2020-05-01,丁局,失实,中文备注\n2020-05-02,甲局,失实,".encode()
                        + b"\xff\xfe" + "\n2020-05-03,甲局,失实,中文备注\n".encode())
    for path in (quote, damaged):
        for size in (1, HUGE):
            rejected = evaluate(plan(), [path], size).rejected
            assert [(r.row, r.column) for r in rejected] == [(2, "单位"), (3, "备注")], (path.name, size)


def test_a_rejected_row_without_its_trailing_cells_is_rejected_not_a_crash(tmp_path):
    """A record short only of a column the reader never maps (备注 here) is padded like any short
    record, so that its rejection can be written."""
    path = write_lines(tmp_path / "l.csv", ["日期", "单位", "事项", "备注"], ["2020-05-01,丁局,失实"])
    for size in (1, HUGE):
        [rejection] = evaluate(plan(), [path], size).rejected
        assert (rejection.row, rejection.column, rejection.suggestion) == (2, "单位", "是否指「甲局」？")
        assert rejection.cells == (("日期", "2020-05-01"), ("单位", "丁局"), ("事项", "失实"), ("备注", ""))


@pytest.mark.parametrize("line, counted, rejected", [
    ("", [2, 4], []),
    (",甲局,失实", [2, 4], [(3, "日期")]),
    ("2020-05-02,甲局,失实", [2, 3, 4], []),
], ids=["blank line", "short row without 日期", "short row with 日期"])
def test_duplicated_date_columns_with_a_blank_line_or_a_short_row(tmp_path, line, counted, rejected):
    """With 日期 and date both in the header, a blank line is skipped and a short row whose 日期 is
    blank is rejected; filling in the spare column waits until short records are padded."""
    path = write_lines(tmp_path / "l.csv", ["日期", "单位", "事项", "date"],
                       ["2020-05-01,甲局,失实,", line, "2020-05-03,甲局,失实,"])
    result = assert_same_in_every_batch_size(plan(), [path], sizes=(1,))
    assert [r.row for r in result.counted] == counted
    assert [(r.row, r.column) for r in result.rejected] == rejected


def test_a_rejected_row_shows_its_cells_as_written(tmp_path):
    """Where 日期 is blank and date stands in, the rejected row still shows what was written in each
    (the file of rejected rows is to be corrected and read back); a record the file garbled keeps
    what could be read of it, unpadded, and a JSONL line that is not an object has no cells."""
    path = write_lines(tmp_path / "d.csv", ["日期", "单位", "事项", "date"], [",丁局,失实,2020-05-02"])
    for size in (1, HUGE):
        [rejection] = evaluate(plan(), [path], size).rejected
        assert rejection.column == "单位"
        assert rejection.cells == (("日期", ""), ("单位", "丁局"), ("事项", "失实"), ("date", "2020-05-02"))
    quote = write_lines(tmp_path / "q.csv", ["日期", "单位", "事项", "备注"], ['2020-05-02,甲局,"没有闭合', "2020-05-03,甲局,失实,"])
    [rejection] = evaluate(plan(), [quote], HUGE).rejected
    assert rejection.cells == (("日期", "2020-05-02"), ("单位", "甲局"), ("事项", "没有闭合"))
    jsonl = tmp_path / "j.jsonl"
    jsonl.write_text('{"日期": "2020-05-03", "单位": "甲局", "事项": "失实"}\nnot json\n', encoding="utf-8")
    [rejection] = evaluate(plan(), [jsonl], HUGE).rejected
    assert (rejection.row, rejection.column, rejection.cells) == (2, "整行", ())


@pytest.mark.parametrize("column, value", [("日期", "2023-02-30"), ("单位", "不存在的局"), ("字数", "很多")])
def test_the_first_bad_cell_deep_in_a_ledger_is_still_found(tmp_path, column, value):
    """A batch is checked row by row only once some memo has answered for a bad cell: the first
    such cell, thousands of good rows in, is rejected all the same, and so is every later one."""
    from govrule.runtime.run import evaluate_ledger

    plan = compiled_seed("fengqiu").plan
    with open(DATA / "fengqiu" / "ledger.csv", encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file)) * 2
    bad = [len(rows) - 5, len(rows) - 2]
    for index in bad:
        rows[index] = dict(rows[index], **{column: value})
    result = evaluate_ledger(plan, [write_ledger(tmp_path / "deep.csv", rows)])
    assert [r.row for r in result.rejected] == [index + 2 for index in bad]
    assert all(r.column == column for r in result.rejected)


def test_item_codes_with_spaces_around_link_to_the_plain_code(tmp_path):
    rows = [submit("2020-03-01", "甲局", "K7", "调研", "", "1300"), adopt("2020-03-02", "甲局", " K7 "),
            adopt("2020-03-03", "甲局", "\tK7"), adopt("2020-03-04", "甲局", "   ")]
    result = assert_same_in_every_batch_size(plan(), [write_ledger(tmp_path / "l.csv", rows)])
    got = {n: (r.item, r.category, r.length) for n, r in by_row(result).items()}
    assert got[3] == got[4] == ("K7", "调研", 1300)
    assert [(r.row, r.column) for r in result.rejected] == [(5, "信息编号")]     # blank: an adoption needs its item


@given(st.lists(st.one_of(st.tuples(st.integers(1, 10**6), st.integers(0, 50)).map(lambda p: range(p[0], p[0] + p[1])),
                          st.lists(st.integers(1, 10**6), max_size=5)), max_size=12))
def test_row_numbers_kept_as_runs_read_as_the_flat_list(runs):
    from govrule.runtime.rows import RowNumbers

    numbers, other = RowNumbers(), RowNumbers()
    for run in runs[: len(runs) // 2]:
        numbers.extend(run)
    for run in runs[len(runs) // 2:]:
        other.extend(run)
    numbers.extend(other)                  # a part's numbers, taken whole
    flat = [n for run in runs for n in run]
    assert len(numbers) == len(flat) and [numbers[i] for i in range(len(flat))] == flat


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=12))
def test_ascii_codes_without_stripped_characters_are_normal_already(text):
    """The reader skips normalize for a batch of such codes: it must change none of them."""
    from govrule.compiler.normalize import ASCII_STRIPPED, normalize

    if not any(c in text for c in ASCII_STRIPPED):
        assert normalize(text) == text


def test_item_codes_with_dashes_and_angle_brackets(tmp_path):
    rows = [submit("2020-03-01", "甲局", "XX-2020-07", "调研", "", "1300"), adopt("2020-03-02", "乙局", "<XX-2020-07>"),
            adopt("2020-03-03", "甲局", "XX-2020-07")]
    path = write_ledger(tmp_path / "l.csv", rows)
    result = assert_same_in_every_batch_size(plan(), [path])
    got = {n: (r.item, r.category, r.length) for n, r in by_row(result).items()}
    assert got[3] == got[4] == ("XX-2020-07", "调研", 1300)
    assert result.notices == [mismatch(path, 3, "XX-2020-07", "甲局", "乙局")]


tricky = st.text(alphabet=st.sampled_from("乾燥隆後后髮發頭发台臺灣湾報报告信息號号〔〕《》＜＞ \t\u3000ＸＹ０１•・AB-12\n"
                                         "e\u0301\u1100\u1161ﬁ①西元芮氏A肝型進位滿6"), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(tricky, max_size=12))
def test_item_codes_normalised_together_as_one_by_one(texts):
    """The reader converts a batch's new codes together: the same as one by one, phrases (乾燥 →
    干燥, 乾隆 stays), phrases with ASCII in them (西元1 → 公元1, A肝) and line breaks inside a
    code included."""
    from govrule.compiler.normalize import normalize, normalize_all

    assert normalize_all(texts) == [normalize(text) for text in texts]


def test_codes_converted_together_where_a_phrase_spans_ascii_and_chinese():
    """Codes are converted a stretch of Chinese at a time, unless the converter has a phrase that
    runs on into ASCII or out of it: then as whole codes, as one by one would."""
    from govrule.compiler.normalize import normalize, normalize_all

    plain = [f"封政信〔2020〕{n}號" for n in range(5)]
    spanning = ["西元1年第3期", "A肝防治信息", "芮氏3級地震"]
    assert normalize_all(plain) == [f"封政信〔2020〕{n}号" for n in range(5)]
    assert normalize_all(plain + spanning) == [normalize(code) for code in plain + spanning]
    assert normalize_all(spanning)[0].startswith("公元1年")


def test_chinese_item_codes_link_across_batches_in_any_script(tmp_path):
    rows = [submit("2020-03-01", "甲局", "封政信〔2020〕7號", "调研", "", "1300"),
            *(submit("2020-03-02", "乙局", f"乙信〔2020〕{n}号", "动态") for n in range(5)),
            adopt("2020-03-03", "甲局", "封政信〔2020〕7号"), adopt("2020-03-04", "甲局", "《封政信〔2020〕7號》")]
    result = assert_same_in_every_batch_size(plan(), [write_ledger(tmp_path / "l.csv", rows)])
    got = {n: (r.item, r.category, r.length) for n, r in by_row(result).items()}
    assert got[2] == got[8] == got[9] == ("封政信〔2020〕7号", "调研", 1300)
