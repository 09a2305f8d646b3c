"""Ledgers: encodings, normalisation, sub-units, and rows that are rejected with a reason."""
from __future__ import annotations

from conftest import DATA, read_rows, results_by_unit, run_cli, write_ledger


def evaluate(plan, path):
    from govrule.runtime.run import evaluate_ledger

    return evaluate_ledger(plan, [path])


def test_gb18030_and_bom_ledgers_score_the_same_as_utf8(tmp_path, yima_plan):
    rows = read_rows(DATA / "yima" / "ledger.csv")
    baseline = results_by_unit(evaluate(yima_plan, DATA / "yima" / "ledger.csv"))
    for encoding in ("gb18030", "utf-8-sig"):
        path = write_ledger(tmp_path / f"{encoding}.csv", rows, encoding)
        assert results_by_unit(evaluate(yima_plan, path)) == baseline


def test_traditional_and_full_width_cells_are_normalised(tmp_path, yima_plan):
    path = write_ledger(tmp_path / "l.csv", [
        {"日期": "2020/3/5", "单位": "財政局", "事项": "採用", "信息编号": "A1", "刊物": "《政府工作快報》",
         "级别": "省", "形式": "專期"},
        {"日期": "2020年3月6日", "单位": "财政局", "事项": "报送", "信息编号": "A2", "类别": "調研"},
    ])
    result = evaluate(yima_plan, path)
    assert not result.rejected and not result.unmatched
    assert results_by_unit(result)["财政局"]["积分"] == 25


def test_sub_unit_rows_count_for_the_parent(tmp_path, yima_plan):
    path = write_ledger(tmp_path / "l.csv", [
        {"日期": "2020-05-01", "单位": "公安局/交警大队", "事项": "信息失实", "数量": "2"}])
    result = evaluate(yima_plan, path)
    assert results_by_unit(result)["公安局"]["积分"] == -20
    assert result.counted[0].sub_unit == "交警大队"


def test_sub_units_need_the_policy_to_say_so(tmp_path, fengqiu_plan):
    path = write_ledger(tmp_path / "l.csv", [
        {"日期": "2023-05-01", "单位": "公安局/交警大队", "事项": "缺席培训"}])
    [rejection] = evaluate(fengqiu_plan, path).rejected
    assert rejection.column == "单位" and "下级单位" in rejection.reason


def test_every_bad_row_is_rejected_with_row_column_reason_and_suggestion(tmp_path, yima_plan):
    good = {"日期": "2020-05-01", "单位": "公安局", "事项": "信息失实"}
    bad = [
        ({**good, "单位": "公安"}, "单位", "是否指「公安局」？"),
        ({**good, "事项": "信息失真"}, "事项", "是否指「信息失实」？"),
        ({**good, "日期": "2020-02-30"}, "日期", None),
        ({**good, "日期": "2021-01-05"}, "日期", None),
        ({**good, "日期": "明天"}, "日期", None),
        ({**good, "数量": "abc"}, "数量", None),
        ({**good, "事项": "采用", "信息编号": "X", "刊物": "政府快报", "级别": "省级"}, "级别", "是否指「省」？"),
        ({**good, "事项": "采用", "信息编号": "X", "刊物": "政府快报"}, "级别", None),
        ({**good, "事项": "采用", "级别": "省", "刊物": "政府快报"}, "信息编号", None),
        ({**good, "单位": ""}, "单位", None),
    ]
    path = write_ledger(tmp_path / "l.csv", [good] + [row for row, _, _ in bad] + [{**good, "数量": "三"}])
    result = evaluate(yima_plan, path)
    assert [(r.row, r.column) for r in result.rejected] == [(i + 3, column) for i, (_, column, _) in enumerate(bad)]
    for rejection, (_, _, suggestion) in zip(result.rejected, bad):
        assert rejection.reason
        if suggestion:
            assert rejection.suggestion == suggestion
    # 数量「三」is read as 3; the good rows still score as they would alone
    assert results_by_unit(result)["公安局"]["积分"] == -10 - 30
    assert len(result.counted) + len(result.unmatched) + len(result.rejected) == len(bad) + 2


def test_eval_exits_2_on_rejected_rows_unless_allowed(tmp_path):
    path = write_ledger(tmp_path / "l.csv", [{"日期": "2020-05-01", "单位": "公安", "事项": "信息失实"}])
    done = run_cli("eval", "policies/yima-2020.rule", str(path), "--format", "json")
    assert done.returncode == 2
    assert f"{path}:2:单位" in done.stderr and "是否指「公安局」" in done.stderr
    assert run_cli("eval", "policies/yima-2020.rule", str(path), "--allow-rejected").returncode == 0


def test_english_column_aliases_and_extra_columns(tmp_path, yima_plan):
    path = tmp_path / "l.csv"
    path.write_text("date,unit,event,count,审核人\n2020-05-01,公安局,信息失实,2,张三\n", encoding="utf-8")
    result = evaluate(yima_plan, path)
    assert results_by_unit(result)["公安局"]["积分"] == -20
    assert any("审核人" in n for n in result.notices)


def test_a_unit_written_as_printed_in_the_document_is_accepted(tmp_path):
    from conftest import compile_text

    compiled = compile_text("考核期：2020年\n【事项】缺席\n【单位组】\n甲组：财政（地税）局\n"
                            "【计分：分】\n缺席，每次扣1分\n【结果】\n分数：分\n")
    rows = [{"日期": "2020-02-01", "单位": s, "事项": "缺席"} for s in ("财政（地税）局", "地税局", "财政局")]
    result = evaluate(compiled.plan, write_ledger(tmp_path / "l.csv", rows))
    assert not result.rejected
    assert results_by_unit(result)["财政局"]["分数"] == -3


def test_a_very_long_cell_is_read(tmp_path, yima_plan):
    path = write_ledger(tmp_path / "l.csv", [{"日期": "2020-05-01", "单位": "公安局", "事项": "信息失实",
                                               "备注": "长" * 200_000}])
    assert results_by_unit(evaluate(yima_plan, path))["公安局"]["积分"] == -10
