"""Runtime semantics on small ledgers: conditions per period, ranks, exceptions, null."""
from __future__ import annotations

from fractions import Fraction

from conftest import compile_text, results_by_unit, write_ledger

POLICY = """标题：测试
考核期：2020年
【刊物】
快报：省
【类别】突发
【标记】迟报
【事项】缺席
【单位组】
甲组，目标10分：甲局、乙局、丙局
乙组：丁局
【计分：信息分】
被省快报采用 计10分
同一信息：累计
报送突发信息，每条计5分，迟报的不计分
缺席，每次扣2分
每月若 条数（报送）= 0，扣1分
【结果】
积分：信息分
目标：本组目标
完成率：积分 ÷ 目标
排名：排名（积分，全部单位）
组内名次：排名（积分，本组，从低到高）
"""


def run(tmp_path, rows):
    from govrule.runtime.run import evaluate_ledger

    compiled = compile_text(POLICY)
    assert compiled.ok, [d.message for d in compiled.diagnostics.items]
    return evaluate_ledger(compiled.plan, [write_ledger(tmp_path / "l.csv", rows)])


def submit(unit, month, category="", tags=""):
    return {"日期": f"2020-{month:02d}-10", "单位": unit, "事项": "报送", "信息编号": f"{unit}{month}{category}",
            "类别": category, "标记": tags}


def test_monthly_condition_applies_once_per_month_without_a_row(tmp_path):
    rows = [submit("甲局", m) for m in range(1, 13)] + [submit("乙局", 1)]
    scores = {u: r["积分"] for u, r in results_by_unit(run(tmp_path, rows)).items()}
    assert scores == {"甲局": 0, "乙局": -11, "丙局": -12, "丁局": -12}


def test_competition_ranks_share_the_better_place(tmp_path):
    rows = [submit(u, m) for u in ("甲局", "乙局", "丙局", "丁局") for m in range(1, 13)]
    rows += [{"日期": "2020-03-01", "单位": u, "事项": "采用", "信息编号": f"{u}3", "刊物": "快报", "级别": "省"}
             for u in ("甲局", "乙局")]
    results = results_by_unit(run(tmp_path, rows))
    assert [results[u]["排名"] for u in ("甲局", "乙局", "丙局", "丁局")] == [1, 1, 3, 3]
    assert [results[u]["组内名次"] for u in ("甲局", "乙局", "丙局")] == [2, 2, 1]
    assert results["丁局"]["组内名次"] == 1


def test_exception_zeroes_the_row_but_still_counts_it(tmp_path):
    rows = [submit("甲局", m) for m in range(1, 13)]
    rows += [submit("甲局", 5, "突发"), submit("甲局", 6, "突发", "迟报")]
    result = run(tmp_path, rows)
    assert results_by_unit(result)["甲局"]["积分"] == 5
    zeroed = [c for c in result.evaluation.matches["信息分"] if c.zeroed]
    assert [c.row.row for c in zeroed] == [15]
    assert len(result.unmatched) == 0


def test_count_multiplies_by_quantity_and_missing_target_gives_null(tmp_path):
    rows = [submit("丁局", m) for m in range(1, 13)] + [
        {"日期": "2020-04-01", "单位": "丁局", "事项": "缺席", "数量": "3"}]
    results = results_by_unit(run(tmp_path, rows))
    assert results["丁局"]["积分"] == -6
    assert results["丁局"]["目标"] is None and results["丁局"]["完成率"] is None
    assert results["甲局"]["完成率"] == Fraction(-12, 10)
