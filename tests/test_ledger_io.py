"""Ledgers as offices keep them (CSV in any of its encodings, XLSX, JSONL, several files) and
results as offices send them (CSV, XLSX, the rejected rows to fix and send back)."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import COLUMNS, DATA, POLICIES, SEED_POLICIES, compiled_seed, read_rows, results_by_unit, run_cli, write_ledger


def evaluate(plan, *paths, **options):
    from govrule.runtime.run import evaluate_ledger

    return evaluate_ledger(plan, list(paths), **options)


def write_xlsx(path, rows: list[dict], date_cells: bool = True, sheet: str = "台账", extra_sheet: bool = False):
    """A workbook as an office types it: real date cells (or dates as text), numbers as numbers."""
    book = openpyxl.Workbook()
    if extra_sheet:
        book.active.title = "说明"
        book.active.append(["这张表是填表说明"])
        worksheet = book.create_sheet(sheet)
    else:
        worksheet = book.active
        worksheet.title = sheet
    worksheet.append(COLUMNS)
    for row in rows:
        cells = []
        for column in COLUMNS:
            value = row.get(column, "")
            if column == "日期" and date_cells and value:
                value = date.fromisoformat(value)
            elif column in ("数量", "字数", "分值") and value.isdigit():
                value = int(value)
            cells.append(value if value != "" else None)
        worksheet.append(cells)
    book.save(path)
    return path


def write_jsonl(path, rows: list[dict]):
    lines = [json.dumps({k: v for k, v in row.items() if v != ""}, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---- the same ledger in every format --------------------------------------------------------

@pytest.mark.parametrize("name", SEED_POLICIES)
def test_every_format_gives_identical_results(tmp_path, name):
    rows = read_rows(DATA / name / "ledger.csv")
    assert all(len(r["日期"]) == 10 for r in rows)     # ISO dates, so they can become date cells
    plan = compiled_seed(name).plan
    baseline = evaluate(plan, DATA / name / "ledger.csv")
    accounts = (len(baseline.counted), len(baseline.unmatched), len(baseline.rejected))
    files = [write_ledger(tmp_path / "utf8.csv", rows), write_ledger(tmp_path / "gb.csv", rows, "gb18030"),
             write_ledger(tmp_path / "bom.csv", rows, "utf-8-sig"), write_xlsx(tmp_path / "l.xlsx", rows),
             write_jsonl(tmp_path / "l.jsonl", rows)]
    for path in files:
        result = evaluate(plan, path)
        assert results_by_unit(result) == results_by_unit(baseline), path.name
        assert (len(result.counted), len(result.unmatched), len(result.rejected)) == accounts, path.name


def test_xlsx_dates_typed_as_text_in_every_accepted_form(tmp_path, yima_plan):
    forms = ["2020-05-01", "2020/5/1", "2020年5月1日", "2020/5/1 0:00", "2020-05-01 00:00:00"]
    rows = [{"日期": text, "单位": "公安局", "事项": "信息失实"} for text in forms]
    result = evaluate(yima_plan, write_xlsx(tmp_path / "l.xlsx", rows, date_cells=False))
    assert not result.rejected
    assert {r.date for r in result.counted} == {date(2020, 5, 1)}
    assert results_by_unit(result)["公安局"]["积分"] == -10 * len(forms)


def test_xlsx_sheet_is_chosen_by_name_or_number_and_an_unknown_one_is_named(tmp_path, yima_plan):
    rows = [{"日期": "2020-05-01", "单位": "公安局", "事项": "信息失实"}]
    path = write_xlsx(tmp_path / "l.xlsx", rows, sheet="一季度", extra_sheet=True)
    # the first sheet is the instructions: it has no 日期 column
    done = run_cli("eval", "policies/yima-2020.rule", str(path))
    assert done.returncode == 1 and "表头缺少必需的列" in done.stderr and "Traceback" not in done.stderr
    for sheet in ("一季度", "2"):
        assert results_by_unit(evaluate(yima_plan, path, sheet=sheet))["公安局"]["积分"] == -10
    done = run_cli("eval", "policies/yima-2020.rule", str(path), "--sheet", "一季")
    assert done.returncode == 1 and "没有工作表「一季」" in done.stderr and "一季度" in done.stderr


def test_several_files_are_read_and_rows_cited_by_file_and_row(tmp_path, yima_plan):
    first = write_ledger(tmp_path / "q1.csv", [{"日期": "2020-02-01", "单位": "公安局", "事项": "信息失实"}])
    second = write_xlsx(tmp_path / "q2.xlsx", [{"日期": "2020-05-01", "单位": "公安局", "事项": "信息失实"},
                                               {"日期": "2020-05-02", "单位": "公按局", "事项": "信息失实"}])
    result = evaluate(yima_plan, first, second)
    assert results_by_unit(result)["公安局"]["积分"] == -20
    assert sorted((r.file, r.row) for r in result.counted) == [(str(first), 2), (str(second), 2)]
    [rejection] = result.rejected
    assert (rejection.file, rejection.row, rejection.column) == (str(second), 3, "单位")
    assert rejection.suggestion == "是否指「公安局」？"


def test_english_headers_and_extra_columns_in_jsonl(tmp_path, yima_plan):
    path = tmp_path / "l.jsonl"
    path.write_text('{"date": "2020-05-01", "unit": "公安局", "event": "信息失实", "count": 2, "审核人": "张三"}\n'
                    '\n{"日期": "2020-05-02", "单位": "公安局", "事项": "信息失实"}\n', encoding="utf-8")
    result = evaluate(yima_plan, path)
    assert results_by_unit(result)["公安局"]["积分"] == -30
    assert [r.row for r in result.counted] == [1, 3]          # JSONL rows are cited by line
    assert any("审核人" in n and "保留并忽略" in n for n in result.notices)


def test_a_jsonl_line_that_is_not_an_object_is_rejected_and_the_rest_read(tmp_path, yima_plan):
    path = tmp_path / "l.jsonl"
    path.write_text('{"日期": "2020-05-01", "单位": "公安局", "事项": "信息失实"}\n{"日期": "2020-05-0\n'
                    '[1, 2]\n{"日期": "2020-05-03", "单位": "公安局", "事项": "信息失实"}\n', encoding="utf-8")
    result = evaluate(yima_plan, path)
    assert [(r.row, r.column) for r in result.rejected] == [(2, "整行"), (3, "整行")]
    assert "JSON" in result.rejected[0].reason
    assert results_by_unit(result)["公安局"]["积分"] == -20


# ---- files that are damaged -----------------------------------------------------------------

def test_one_bad_byte_in_a_utf8_file_costs_one_row_not_the_file(tmp_path, yima_plan):
    rows = [{"日期": f"2020-05-{d:02d}", "单位": "公安局", "事项": "信息失实", "备注": "核实"} for d in range(1, 6)]
    data = write_ledger(tmp_path / "l.csv", rows).read_bytes()
    broken = data.replace("核实".encode(), b"\xff\xfe", 1)       # the first row's note is damaged
    path = tmp_path / "broken.csv"
    path.write_bytes(broken)
    result = evaluate(yima_plan, path)
    [rejection] = result.rejected
    assert (rejection.row, rejection.column) == (2, "备注") and "无法识别的字节" in rejection.reason
    assert len(result.counted) == 4 and not any("GB18030" in n for n in result.notices)


def test_a_gb18030_file_says_how_it_was_read(tmp_path, yima_plan):
    path = write_ledger(tmp_path / "l.csv", [{"日期": "2020-05-01", "单位": "公安局", "事项": "信息失实"}], "gb18030")
    result = evaluate(yima_plan, path)
    assert len(result.counted) == 1 and any("GB18030" in n for n in result.notices)


def test_an_unclosed_quote_rejects_its_line_and_keeps_the_rows_after_it(tmp_path, yima_plan):
    path = tmp_path / "l.csv"
    path.write_text("日期,单位,事项,备注\n"
                    '2020-05-01,公安局,信息失实,"没有闭合\n'
                    "2020-05-02,公安局,信息失实,\n"
                    '2020-05-03,公安局,信息失实,"两行的\n备注"\n'
                    "2020-05-04,公安局,信息失实,\n", encoding="utf-8")
    result = evaluate(yima_plan, path)
    [rejection] = result.rejected
    assert (rejection.row, rejection.column) == (2, "备注") and "引号" in rejection.reason
    assert [r.row for r in result.counted] == [3, 4, 5]       # the two-line note is one row, not a problem
    assert results_by_unit(result)["公安局"]["积分"] == -30


@pytest.mark.parametrize("content, message", [
    (b"", "台账是空的"),
    ("单位,事项\n公安局,信息失实\n".encode(), "表头缺少必需的列「日期」"),
    ("日其,单位,事项\n".encode(), "是否指「日期」"),
    (b"PK\x03\x04not really a zip", "不是可以读取的 .xlsx 文件"),
])
def test_a_file_that_is_not_a_ledger_stops_with_a_message(tmp_path, content, message):
    path = tmp_path / ("l.xlsx" if content.startswith(b"PK") else "l.csv")
    path.write_bytes(content)
    done = run_cli("eval", "policies/yima-2020.rule", str(path))
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_a_missing_ledger_file_is_named_in_chinese():
    done = run_cli("eval", "policies/yima-2020.rule", "没有这个台账.csv")
    assert done.returncode == 1 and "文件不存在" in done.stderr and "Traceback" not in done.stderr


# ---- twenty kinds of bad cells --------------------------------------------------------------

GOOD = [
    {"日期": "2020-03-05", "单位": "财政局", "事项": "报送", "信息编号": "A1", "类别": "调研"},
    {"日期": "2020-03-09", "单位": "财政局", "事项": "采用", "信息编号": "A1", "刊物": "政府工作快报", "级别": "省",
     "形式": "专期"},
    {"日期": "2020-05-01", "单位": "公安局", "事项": "信息失实", "数量": "2"},
    {"日期": "2020/6/1", "单位": "公安局/交警大队", "事项": "信息失实"},
]
_BASE = {"日期": "2020-05-01", "单位": "公安局", "事项": "信息失实"}
_ADOPTED = {"日期": "2020-05-01", "单位": "财政局", "事项": "采用", "信息编号": "B1", "刊物": "政府工作快报",
            "级别": "省", "形式": "专期"}
# (row, column it is rejected on, words its reason must contain, its suggestion or None)
BAD = [
    ({**_BASE, "单位": "公安"}, "单位", "不在政策中", "是否指「公安局」？"),
    ({**_BASE, "单位": ""}, "单位", "缺少必填", None),
    ({**_BASE, "单位": "公安/交警大队"}, "单位", "不在政策中", None),
    ({**_BASE, "事项": "信息失真"}, "事项", "不是政策声明的事项", "是否指「信息失实」？"),
    ({**_BASE, "事项": ""}, "事项", "缺少必填", None),
    ({**_BASE, "日期": ""}, "日期", "缺少必填", None),
    ({**_BASE, "日期": "2020-02-30"}, "日期", "无法识别或不存在", None),
    ({**_BASE, "日期": "2020-13-01"}, "日期", "无法识别或不存在", None),
    ({**_BASE, "日期": "明天"}, "日期", "无法识别或不存在", None),
    ({**_BASE, "日期": "43952"}, "日期", "无法识别或不存在", "这像是 Excel 的日期序号：把这一列的单元格格式设为日期再导出"),
    ({**_BASE, "日期": "2021-01-05"}, "日期", "不在考核期", None),
    ({**_BASE, "数量": "abc"}, "数量", "不小于0的整数", None),
    ({**_BASE, "数量": "3/5"}, "数量", "不小于0的整数", None),
    ({**_BASE, "数量": "1e9"}, "数量", "不小于0的整数", None),
    ({**_BASE, "数量": "-2"}, "数量", "不小于0的整数", None),
    ({**_BASE, "数量": "2.5"}, "数量", "不小于0的整数", None),
    ({**_BASE, "数量": "一百五"}, "数量", "不小于0的整数", None),
    ({**_ADOPTED, "级别": "省级"}, "级别", "不是 国家、省、市、县", "是否指「省」？"),
    ({**_ADOPTED, "级别": "乡"}, "级别", "不是 国家、省、市、县", None),
    ({**_ADOPTED, "级别": ""}, "级别", "必须写明级别", None),
    ({**_ADOPTED, "信息编号": ""}, "信息编号", "必须写明信息编号", None),
    ({**_ADOPTED, "刊物": ""}, "刊物", "必须写明刊物", None),
    ({**_ADOPTED, "字数": "一千字"}, "字数", "不小于0的整数", None),
    ({**_ADOPTED, "分值": "优"}, "分值", "不小于0的数", None),
]


def test_twenty_kinds_of_bad_cells_are_rejected_exactly_and_good_rows_score_as_alone(tmp_path, yima_plan):
    assert len(BAD) >= 20
    alone = evaluate(yima_plan, write_ledger(tmp_path / "good.csv", GOOD + [{**_BASE, "数量": "三"}]))
    assert not alone.rejected
    mixed = []                                   # good and bad rows interleaved
    for i, (row, *_rest) in enumerate(BAD):
        mixed += [row] + ([GOOD[i]] if i < len(GOOD) else [])
    mixed.append({**_BASE, "数量": "三"})        # a Chinese numeral is read, not rejected
    result = evaluate(yima_plan, write_ledger(tmp_path / "mixed.csv", mixed))
    bad_rows = [mixed.index(row) + 2 for row, *_ in BAD]
    assert [(r.row, r.column) for r in result.rejected] == [(n, c) for n, (_, c, _, _) in zip(bad_rows, BAD)]
    for rejection, (_, column, words, suggestion) in zip(result.rejected, BAD):
        assert words in rejection.reason, (column, rejection.reason)
        if suggestion is not None:
            assert rejection.suggestion == suggestion
        assert str(rejection).startswith(f"{rejection.file}:{rejection.row}:{column}: ")
    assert results_by_unit(result) == results_by_unit(alone)
    assert len(result.counted) + len(result.unmatched) + len(result.rejected) == len(mixed)


JUNK = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", " ", "\"", "\n", ",", "2020-02-30", "三", "1e9", "-0", "０５", "財政局", "公安", "采用", "省级",
     "《政府工作快报》", "２０２０／５／１", "9" * 40, "NaN", "\ufffd"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.sampled_from(COLUMNS), JUNK), max_size=8))
def test_junk_in_any_cell_never_raises_and_every_row_is_accounted_for(tmp_path, yima_plan, junk):
    rows = [dict(r) for r in GOOD]
    for index, column, value in junk:
        rows[index][column] = value
    rows = [r for r in rows if any(str(v).strip() for v in r.values())]
    path = write_ledger(tmp_path / "junk.csv", rows)
    result = evaluate(yima_plan, path)
    assert len(result.counted) + len(result.unmatched) + len(result.rejected) == len(rows)
    for rejection in result.rejected:
        assert rejection.reason and rejection.column and 2 <= rejection.row <= len(rows) + 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes_as_a_ledger_never_raise(tmp_path, yima_plan, data):
    from govrule.runtime.ledger import LedgerError

    path = tmp_path / "junk.csv"
    path.write_bytes("日期,单位,事项\n".encode() + data)
    try:
        result = evaluate(yima_plan, path)
    except LedgerError:
        return
    rows = len(result.counted) + len(result.unmatched) + len(result.rejected)
    assert rows <= data.count(b"\n") + data.count(b"\r") + 1


# ---- results as files -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["jiande", "fengqiu"])
def test_xlsx_results_read_back_equal_the_json(tmp_path, name):
    policy, ledger = str(POLICIES / SEED_POLICIES[name]), str(DATA / name / "ledger.csv")
    data = json.loads(run_cli("eval", policy, ledger, "--format", "json", check=True).stdout)
    path = tmp_path / "结果.xlsx"
    done = run_cli("eval", policy, ledger, "--output", str(path))
    assert done.returncode == 0 and f"已写入 {path}" in done.stderr and done.stdout == ""
    book = openpyxl.load_workbook(path)
    groups = list(dict.fromkeys(u["group"] for u in data["units"]))
    assert book.sheetnames[:len(groups)] == groups and "未计分与拒绝" in book.sheetnames
    if data["notices"]:
        notes = [r[0] for r in book["注意事项"].iter_rows(min_row=2, values_only=True)]
        assert notes == data["notices"]
    by_unit = {u["unit"]: u for u in data["units"]}
    seen = 0
    for group in groups:
        sheet = book[group]
        assert sheet.freeze_panes == "A2"
        headers = [c.value for c in sheet[1]]
        for cells in sheet.iter_rows(min_row=2, values_only=True):
            unit = by_unit[cells[1]]
            assert unit["group"] == group
            for header, value in zip(headers[2:], cells[2:]):
                name_, _, period = header.partition("·")
                expected_value = unit["results"][name_]
                if period:
                    expected_value = next(v for k, v in expected_value.items() if k.endswith(period)
                                          or k.endswith(f"-{int(period[:-1]):02d}" if period.endswith("月") else "\0"))
                if isinstance(expected_value, bool):
                    assert value == ("是" if expected_value else "否")
                elif isinstance(expected_value, (int, float)):
                    assert isinstance(value, (int, float)) and value == pytest.approx(expected_value, abs=1e-9)
                else:
                    assert value is None and expected_value is None
            seen += 1
    assert seen == len(data["units"])
    rows = list(book["未计分与拒绝"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == data["rows"]["unmatched"] + data["rows"]["rejected"]
    if "分期结果" in book.sheetnames:
        periods = list(book["分期结果"].iter_rows(min_row=2, values_only=True))
        assert len(periods) == 4 * len(data["units"])


def test_csv_results_match_the_json_and_open_in_excel(tmp_path):
    policy, ledger = "policies/yima-2020.rule", str(DATA / "yima" / "ledger.csv")
    data = json.loads(run_cli("eval", policy, ledger, "--format", "json", check=True).stdout)
    path = tmp_path / "结果.csv"
    assert run_cli("eval", policy, ledger, "--output", str(path)).returncode == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")          # a BOM, so that Excel reads the Chinese
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(table) == len(data["units"])
    for row in table:
        unit = next(u for u in data["units"] if u["unit"] == row["单位"])
        assert row["单位组"] == unit["group"]
        assert float(row["积分"]) == unit["results"]["积分"]
        assert (row["完成率"] == "") == (unit["results"]["完成率"] is None)


def test_xlsx_output_needs_a_file():
    done = run_cli("eval", "policies/yima-2020.rule", str(DATA / "yima" / "ledger.csv"), "--format", "xlsx")
    assert done.returncode == 1 and "--output" in done.stderr


def test_rejected_rows_are_written_with_reasons_and_read_back_after_fixing(tmp_path):
    rows = [{"日期": "2020-05-01", "单位": "公安", "事项": "信息失实", "备注": "张三录入"},
            {"日期": "2020-05-02", "单位": "公安局", "事项": "信息失实"},
            {"日期": "2020-02-30", "单位": "公安局", "事项": "信息失实"}]
    ledger = write_ledger(tmp_path / "l.csv", rows)
    out = tmp_path / "拒绝.csv"
    done = run_cli("eval", "policies/yima-2020.rule", str(ledger), "--rejected", str(out))
    assert done.returncode == 2 and "拒绝 2 行" in done.stderr
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["来源行"], r["出错列"]) for r in table] == [("2", "单位"), ("4", "日期")]
    assert table[0]["建议"] == "是否指「公安局」？" and table[0]["备注"] == "张三录入"
    # the officer fixes the cells and sends the same file back: the reason columns are ignored
    table[0]["单位"], table[1]["日期"] = "公安局", "2020-03-01"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(table[0]))
    writer.writeheader()
    writer.writerows(table)
    fixed = tmp_path / "改正.csv"
    fixed.write_text(buffer.getvalue(), encoding="utf-8-sig")
    done = run_cli("eval", "policies/yima-2020.rule", str(fixed), "--format", "json")
    assert done.returncode == 0 and "拒绝原因" in done.stderr
    assert json.loads(done.stdout)["rows"] == {"counted": 2, "unmatched": 0, "rejected": 0}


def test_rejected_rows_as_xlsx(tmp_path):
    ledger = write_ledger(tmp_path / "l.csv", [{"日期": "明天", "单位": "公安局", "事项": "信息失实"}])
    out = tmp_path / "拒绝.xlsx"
    run_cli("eval", "policies/yima-2020.rule", str(ledger), "--rejected", str(out))
    sheet = openpyxl.load_workbook(out).active
    headers = [c.value for c in sheet[1]]
    [row] = [dict(zip(headers, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert row["日期"] == "明天" and row["出错列"] == "日期" and row["来源行"] == 2


def test_the_terminal_shows_counts_and_the_first_unmatched_rows(tmp_path):
    done = run_cli("eval", "policies/yima-2020.rule", str(DATA / "yima" / "ledger.csv"))
    assert done.returncode == 0
    assert "台账：计分 362 行，未匹配 170 行，拒绝 0 行" in done.stderr
    assert "未匹配的行（没有规则计入）：170 行" in done.stderr and "另有 150 行" in done.stderr
    assert "读取台账" not in done.stderr                 # no progress bar when stderr is not a terminal


def test_a_progress_bar_only_on_a_terminal_and_only_for_long_ledgers(tmp_path, monkeypatch):
    import sys

    from govrule.cli import progress

    path = tmp_path / "l.csv"
    path.write_text("日期,单位,事项\n" + "2020-05-01,公安局,信息失实\n" * 10, encoding="utf-8")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with progress.ledger_progress([path]) as bar:
        assert bar is None                                  # short: read before a bar would show
    monkeypatch.setattr(progress, "SHOW_FROM_ROWS", 5)
    with progress.ledger_progress([path]) as bar:
        assert callable(bar)
        bar(4)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    with progress.ledger_progress([path]) as bar:
        assert bar is None
