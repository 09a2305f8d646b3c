"""The constructs the 建德 and 慈溪 policies need, each on a small policy and a tiny ledger:
per-period outputs, 全年 gates, 若…则…否则, escalating penalties, reviewed 分值 with a cap,
shares of a unit value, block-wide 不计分, group clauses, row multipliers, rank-point tables,
pinned ranks, 评选, bundles, 且-joined item conditions, a word that is a category and an event,
and traditional characters."""
from __future__ import annotations

from fractions import Fraction

import pytest

from conftest import codes, compile_text, results_by_unit, write_ledger

QUARTERS = ("2018Q1", "2018Q2", "2018Q3", "2018Q4")


def compiled_ok(text: str):
    compiled = compile_text(text)
    assert compiled.ok, [f"{d.code} {d.message}" for d in compiled.diagnostics.items]
    return compiled


def evaluate(tmp_path, text: str, rows: list[dict], name: str = "l.csv"):
    from govrule.runtime.run import evaluate_ledger

    compiled = compiled_ok(text)
    result = evaluate_ledger(compiled.plan, [write_ledger(tmp_path / name, rows)])
    assert result.rejected == [], [str(r) for r in result.rejected]
    return result


def row(day: str, unit: str, event: str, **cells) -> dict:
    return {"日期": day, "单位": unit, "事项": event, **cells}


def adopt(day: str, unit: str, item: str, publication: str, level: str, **cells) -> dict:
    return row(day, unit, "采用", 信息编号=item, 刊物=publication, 级别=level, **cells)


# ---------------------------------------------------------------- 1. per-quarter outputs, 合计

QUARTERLY = """标题：测试
考核期：2018年
【刊物】
动态：县
【单位组】
甲组：甲局、乙局
【计分：采用分】
被动态采用 计4分
同一信息被多处采用的，累计计分
【结果】
季度分（按季）：采用分
年度分：合计（季度分）
{extra}"""


def test_per_quarter_output_splits_by_date_and_total_sums_the_quarters(tmp_path):
    rows = [adopt("2018-03-31", "甲局", "A1", "动态", "县"),
            adopt("2018-04-01", "甲局", "A2", "动态", "县"),
            adopt("2018-12-31", "甲局", "A3", "动态", "县"),
            adopt("2018-12-01", "甲局", "A4", "动态", "县"),
            adopt("2018-07-15", "乙局", "B1", "动态", "县")]
    results = results_by_unit(evaluate(tmp_path, QUARTERLY.format(extra=""), rows))
    assert results["甲局"]["季度分"] == {"2018Q1": 4, "2018Q2": 4, "2018Q3": 0, "2018Q4": 8}
    assert results["乙局"]["季度分"] == {"2018Q1": 0, "2018Q2": 0, "2018Q3": 4, "2018Q4": 0}
    assert results["甲局"]["年度分"] == 16
    assert results["乙局"]["年度分"] == 4


def test_a_whole_year_output_naming_a_per_quarter_quantity_needs_total():
    compiled = compile_text(QUARTERLY.format(extra="直接用：季度分 + 1\n"))
    assert "GR107" in codes(compiled)
    assert not compiled.ok
    assert "GR107" not in codes(compile_text(QUARTERLY.format(extra="")))


# ---------------------------------------------------------------- 2. （全年） grain

YEAR_GATE = """标题：测试
考核期：2018年
【刊物】
动态：县
【事项】信息失实
【单位组】
甲组：甲局、乙局
【计分：采用分】
被动态采用 计4分
同一信息被多处采用的，累计计分
【中间量】
全年归零（全年）：条数（信息失实）> 0
当季归零：条数（信息失实）> 0
【结果】
季度分（按季）：若 全年归零 则 0 否则 采用分
当季分（按季）：若 当季归零 则 0 否则 采用分
"""


def test_a_yearly_gate_inside_a_quarterly_output_sees_every_quarter(tmp_path):
    rows = [adopt(f"2018-{m:02d}-10", u, f"{u}{m}", "动态", "县") for u in ("甲局", "乙局") for m in (2, 5, 8, 11)]
    rows.append(row("2018-12-20", "甲局", "信息失实"))
    results = results_by_unit(evaluate(tmp_path, YEAR_GATE, rows))
    assert results["甲局"]["季度分"] == {q: 0 for q in QUARTERS}
    assert results["乙局"]["季度分"] == {q: 4 for q in QUARTERS}
    # without （全年） the same condition is counted within each quarter only
    assert results["甲局"]["当季分"] == {"2018Q1": 4, "2018Q2": 4, "2018Q3": 4, "2018Q4": 0}


# ---------------------------------------------------------------- 3. expressions

EXPRESSIONS = """标题：测试
考核期：2018年
【刊物】
动态：县
【单位组】
甲组，目标10分：甲局、乙局
乙组：丙局
【计分：采用分】
被动态采用 计4分
同一信息被多处采用的，累计计分
【结果】
分：采用分
高低：若 采用分 > 5 则 1 否则 2
嵌套：若 采用分 = 0 则 空 否则 若 采用分 ≥ 8 则 100 否则 50
空值：空
目标：本组目标
无目标：目标 = 空
有目标：目标 != 空
空的条件：若 目标 > 0 则 1 否则 2
大：最大（采用分，10）
小：最小（采用分，10）
上取整：向上取整（采用分 ÷ 3）
下取整：向下取整（采用分 ÷ 3）
负上取整：向上取整（-采用分 ÷ 3）
在甲组：属于（甲组）
在乙组：属于（乙组）
每月报送：每月都（条数（报送）≥ 1）
报送月数：月数（条数（报送）≥ 1）
"""


def test_if_then_else_null_functions_groups_and_months(tmp_path):
    rows = [adopt("2018-01-05", "甲局", "A1", "动态", "县"), adopt("2018-02-05", "甲局", "A2", "动态", "县"),
            adopt("2018-03-05", "甲局", "A3", "动态", "县"), adopt("2018-04-05", "乙局", "B1", "动态", "县")]
    rows += [row(f"2018-{m:02d}-01", "甲局", "报送", 信息编号=f"S{m}") for m in range(1, 13)]
    rows += [row(f"2018-{m:02d}-01", "乙局", "报送", 信息编号=f"T{m}") for m in range(1, 12)]
    results = results_by_unit(evaluate(tmp_path, EXPRESSIONS, rows))
    a, b, c = results["甲局"], results["乙局"], results["丙局"]
    assert (a["分"], b["分"], c["分"]) == (12, 4, 0)
    assert (a["高低"], b["高低"], c["高低"]) == (1, 2, 2)
    assert (a["嵌套"], b["嵌套"], c["嵌套"]) == (100, 50, None)
    assert (a["空值"], c["空值"]) == (None, None)
    assert (a["目标"], c["目标"]) == (10, None)
    assert (a["无目标"], c["无目标"]) == (False, True)
    assert (a["有目标"], c["有目标"]) == (True, False)
    assert (a["空的条件"], c["空的条件"]) == (1, None)
    assert (a["大"], b["大"]) == (12, 10)
    assert (a["小"], b["小"]) == (10, 4)
    assert (a["上取整"], b["上取整"], c["上取整"]) == (4, 2, 0)
    assert (a["下取整"], b["下取整"], c["下取整"]) == (4, 1, 0)
    assert b["负上取整"] == -1
    assert (a["在甲组"], b["在甲组"], c["在甲组"]) == (True, True, False)
    assert (a["在乙组"], c["在乙组"]) == (False, True)
    assert (a["每月报送"], b["每月报送"], c["每月报送"]) == (True, False, False)
    assert (a["报送月数"], b["报送月数"], c["报送月数"]) == (12, 11, 0)


# ---------------------------------------------------------------- 4. escalating penalty

ESCALATING = """标题：测试
考核期：2018年
【事项】应急违规
【单位组】
甲组：甲局、乙局、丙局
【计分：事项分】
应急违规的，第一次扣10分，第二次起每次扣20分
【结果】
全年扣分：事项分
季度扣分（按季）：事项分
"""


def test_escalating_penalty_counts_occurrences_by_date(tmp_path):
    rows = [row("2018-02-01", "甲局", "应急违规"), row("2018-05-01", "甲局", "应急违规"),
            row("2018-08-01", "甲局", "应急违规"),
            row("2018-03-01", "乙局", "应急违规", 数量="3"),
            # row order is not date order: the first occurrence is the February one
            row("2018-11-01", "丙局", "应急违规"), row("2018-02-01", "丙局", "应急违规")]
    results = results_by_unit(evaluate(tmp_path, ESCALATING, rows))
    assert results["甲局"]["全年扣分"] == -50
    assert results["甲局"]["季度扣分"] == {"2018Q1": -10, "2018Q2": -20, "2018Q3": -20, "2018Q4": 0}
    assert results["乙局"]["全年扣分"] == -50
    assert results["丙局"]["全年扣分"] == -30
    assert results["丙局"]["季度扣分"] == {"2018Q1": -10, "2018Q2": 0, "2018Q3": 0, "2018Q4": -20}


# ---------------------------------------------------------------- 5. 按分值计分，最高N分

REVIEWED = """标题：测试
考核期：2018年
【事项】约稿
【单位组】
甲组：甲局、乙局、丙局
【计分：约稿分】
约稿，按分值计分，最高10分
【结果】
分：约稿分
"""


def test_reviewed_points_are_capped_and_missing_points_score_zero_with_a_notice(tmp_path):
    rows = [row("2018-03-01", "甲局", "约稿", 分值="7"),
            row("2018-03-01", "乙局", "约稿", 分值="12"),
            row("2018-03-01", "丙局", "约稿")]
    result = evaluate(tmp_path, REVIEWED, rows)
    results = results_by_unit(result)
    assert (results["甲局"]["分"], results["乙局"]["分"], results["丙局"]["分"]) == (7, 10, 0)
    over = [n for n in result.notices if "超过最高" in n]
    assert len(over) == 1 and ":3:" in over[0] and "12" in over[0]
    missing = [n for n in result.notices if ":4:" in n]
    assert len(missing) == 1 and "没有分值" in missing[0]
    assert len(result.notices) == 2


# ---------------------------------------------------------------- 6. shares of a unit value

SHARES = """标题：测试
考核期：2018年
【事项】蹲岗（数量为周数）、紧急迟报
【单位组】
甲组：甲局、乙局
【单位数值：基础分】
甲局：120分
【计分：加分】
蹲岗满3周的，每次加基础分的10%
【计分：扣分】
紧急迟报，每次扣基础分的30%
【结果】
加分合计：加分
扣分合计：扣分
信息分：加分 + 扣分
完成率：信息分 ÷ 基础分
"""


def test_a_share_of_a_unit_value_and_a_minimum_measure(tmp_path):
    rows = [row("2018-03-01", "甲局", "蹲岗", 数量="3"),
            row("2018-04-01", "甲局", "蹲岗", 数量="2"),
            row("2018-05-01", "甲局", "紧急迟报", 数量="2"),
            row("2018-05-01", "乙局", "紧急迟报")]
    result = evaluate(tmp_path, SHARES, rows)
    results = results_by_unit(result)
    assert results["甲局"]["加分合计"] == 12
    assert results["甲局"]["扣分合计"] == -72
    assert results["甲局"]["完成率"] == Fraction(12 - 72, 120)
    assert [(r.unit, r.row, r.count) for r in result.unmatched] == [("甲局", 3, 2)]
    assert results["乙局"]["完成率"] is None


# ---------------------------------------------------------------- 7. block-wide 不计分

EXCLUSION = """标题：测试
考核期：2018年
【刊物】
动态：县
【类别】应急、调研
【单位组】
甲组：甲局
【计分：采用分】
被动态采用 计4分
同一信息被多处采用的，累计计分
应急信息，不计分
【结果】
分：采用分
"""


def test_a_block_wide_exclusion_zeroes_items_whose_submission_is_in_the_category(tmp_path):
    rows = [row("2018-03-01", "甲局", "报送", 信息编号="A1", 类别="应急"),
            adopt("2018-03-05", "甲局", "A1", "动态", "县"),
            row("2018-03-01", "甲局", "报送", 信息编号="A2", 类别="调研"),
            adopt("2018-03-05", "甲局", "A2", "动态", "县")]
    result = evaluate(tmp_path, EXCLUSION, rows)
    assert results_by_unit(result)["甲局"]["分"] == 4
    zeroed = [c.row.item for c in result.evaluation.matches["采用分"] if c.zeroed]
    assert zeroed == ["A1"]


# ---------------------------------------------------------------- 8. a group's own clause

GROUP_CLAUSE = """标题：测试
考核期：2018年
【级别】
市：杭州市
【刊物】
杭州政务：市
【形式】要情、专报
【单位组】
乡镇：甲镇
部门：甲局
【计分：采用分】
被《杭州政务》录用的要情类信息，每条计8分
乡镇被《杭州政务》录用的要情类信息，每条计16分
同一行适用多条的，取最具体的一条
同一信息被多处录用的，累计计分
【结果】
分：采用分
"""


def test_a_group_clause_beats_the_general_one_under_most_specific(tmp_path):
    rows = [adopt("2018-03-05", "甲镇", "Z1", "杭州政务", "市", 形式="要情"),
            adopt("2018-03-05", "甲局", "B1", "杭州政务", "市", 形式="要情")]
    results = results_by_unit(evaluate(tmp_path, GROUP_CLAUSE, rows))
    assert results["甲镇"]["分"] == 16
    assert results["甲局"]["分"] == 8


# ---------------------------------------------------------------- 9. row multiplier

MULTIPLIER = """标题：测试
考核期：2018年
【级别】
市：杭州市
县：建德市
【刊物】
杭州政务：市
建德动态：县
【类别】约稿、动态
【单位组】
甲组：甲局
【计分：采用分】
被《杭州政务》录用的，每条计8分
被《建德动态》录用的，每条计4分
同一信息被多处录用的，累计计分
被市级采用的约稿信息，按三倍计分
【结果】
分：采用分
"""


def test_a_row_multiplier_looks_at_the_row_level_and_the_item_category(tmp_path):
    rows = [row("2018-03-01", "甲局", "报送", 信息编号="Y1", 类别="约稿"),
            adopt("2018-03-05", "甲局", "Y1", "杭州政务", "市"),      # 8 × 3
            adopt("2018-03-06", "甲局", "Y1", "建德动态", "县"),      # 4: not 市级
            row("2018-03-01", "甲局", "报送", 信息编号="D1", 类别="动态"),
            adopt("2018-03-05", "甲局", "D1", "杭州政务", "市")]      # 8: not 约稿
    result = evaluate(tmp_path, MULTIPLIER, rows)
    assert results_by_unit(result)["甲局"]["分"] == 24 + 4 + 8
    factors = sorted((c.row.item, c.row.publication, c.factor) for c in result.evaluation.matches["采用分"])
    assert factors == [("D1", "杭州政务", 1), ("Y1", "建德动态", 1), ("Y1", "杭州政务", 3)]


# ---------------------------------------------------------------- 10. rank-point tables

RANK_TABLE = """标题：测试
考核期：2018年
【事项】好稿
【单位组】
组甲：甲局、乙局、丙局、丁局、戊局
{more_groups}
【计分：采用分】
好稿，每次加1分
【名次分：表】
{table}
【结果】
分：采用分
名次：排名（分，本组，从高到低）
得分：名次分（表，排名（分，本组，从高到低））
"""


def rank_table(table: str, more_groups: str = "") -> str:
    return RANK_TABLE.format(table=table, more_groups=more_groups)


def test_rank_points_follow_the_table_and_ties_share_the_better_rank(tmp_path):
    text = rank_table("组甲：第1至3名依次10至8分，其余5分")
    amounts = {"甲局": 12, "乙局": 12, "丙局": 8, "丁局": 4}
    rows = [row("2018-03-01", u, "好稿", 数量=str(n)) for u, n in amounts.items()]
    results = results_by_unit(evaluate(tmp_path, text, rows))
    assert {u: r["名次"] for u, r in results.items()} == {"甲局": 1, "乙局": 1, "丙局": 3, "丁局": 4, "戊局": 5}
    assert {u: r["得分"] for u, r in results.items()} == {"甲局": 10, "乙局": 10, "丙局": 8, "丁局": 5, "戊局": 5}


def test_broken_rank_tables_are_diagnosed():
    four = "组乙：己局、庚局、辛局、壬局"
    short = rank_table("组甲：第1至5名依次10至6分\n组乙：第1至3名依次10至8分", four)
    assert "GR204" in codes(compile_text(short))
    assert not compile_text(short).ok
    wrong_rest = rank_table("组甲：第1至5名依次10至6分\n组乙：第1至3名依次10至8分，后两名得基本分5分", four)
    compiled = compile_text(wrong_rest)
    assert "GR205" in codes(compiled) and "GR204" not in codes(compiled)
    right_rest = rank_table("组甲：第1至5名依次10至6分\n组乙：第1至3名依次10至8分，后一名得基本分5分", four)
    assert codes(compile_text(right_rest)) == []
    for entry in ("第1至3名依次10至6分", "前三名各10分", "第2至4名依次10至8分"):
        unreadable = rank_table(f"组甲：{entry}，其余5分")
        compiled = compile_text(unreadable)
        assert "GR007" in codes(compiled), entry
        assert not compiled.ok


# ---------------------------------------------------------------- 11. pinned ranks

PINNED = """标题：测试
考核期：2018年
【事项】好稿、表彰
【单位组】
组甲：甲局、乙局、丙局、丁局
【计分：总分】
好稿，每次加1分
【结果】
分：总分
名次：排名（总分，本组，从高到低，置顶：条数（表彰）> 0）
"""


def test_pinned_units_share_rank_one_and_the_rest_rank_after_them(tmp_path):
    amounts = {"甲局": 10, "乙局": 20, "丙局": 30, "丁局": 5}
    rows = [row("2018-03-01", u, "好稿", 数量=str(n)) for u, n in amounts.items()]
    rows += [row("2018-06-01", "甲局", "表彰"), row("2018-06-01", "丁局", "表彰")]
    results = results_by_unit(evaluate(tmp_path, PINNED, rows))
    assert {u: r["名次"] for u, r in results.items()} == {"甲局": 1, "丁局": 1, "丙局": 3, "乙局": 4}


# ---------------------------------------------------------------- 12. 评选

SELECTION = """标题：测试
考核期：2018年
【事项】好稿、违规
【单位组】
组甲：甲局、乙局、丙局、丁局、戊局
【中间量】
比值：条数（好稿）
可评：条数（违规）= 0
【结果】
先进：评选（比值，本组，从高到低，名额：{quota}，资格：可评{ties}）
"""


def selected(tmp_path, quota: int, ties: str) -> set[str]:
    # 甲局 is best but not eligible; 丙局 and 丁局 tie
    amounts = {"甲局": 10, "乙局": 9, "丙局": 8, "丁局": 8, "戊局": 7}
    rows = [row("2018-03-01", u, "好稿", 数量=str(n)) for u, n in amounts.items()]
    rows.append(row("2018-04-01", "甲局", "违规"))
    results = results_by_unit(evaluate(tmp_path, SELECTION.format(quota=quota, ties=ties), rows))
    assert all(isinstance(r["先进"], bool) for r in results.values())
    return {u for u, r in results.items() if r["先进"]}


def test_selection_stops_at_a_tie_that_does_not_fit_and_takes_no_lower_unit(tmp_path):
    assert selected(tmp_path, 2, "，并列超出名额的都不选") == {"乙局"}


def test_selection_skips_ineligible_units_without_taking_places(tmp_path):
    assert selected(tmp_path, 3, "，并列超出名额的都不选") == {"乙局", "丙局", "丁局"}


def test_selection_takes_a_tied_pair_whole_when_asked(tmp_path):
    assert selected(tmp_path, 2, "，并列的都入选") == {"乙局", "丙局", "丁局"}


def test_selection_without_a_tie_option_warns():
    compiled = compile_text(SELECTION.format(quota=2, ties=""))
    assert "GR305" in codes(compiled)
    assert compiled.ok
    assert "GR305" not in codes(compile_text(SELECTION.format(quota=2, ties="，并列的都入选")))


# ---------------------------------------------------------------- 13. bundles

BUNDLES = """标题：测试
考核期：2018年
【事项】好稿
【单位组】
乡镇：甲镇、乙镇
部门：丙局
【捆绑考核】
甲镇、丙局
【计分：加分】
好稿，每次加1分
【结果】
信息分：加分
捆绑分：捆绑合计（信息分）
捆绑数：捆绑单位数
"""


def test_a_bundle_sums_its_members_and_knows_its_size(tmp_path):
    amounts = {"甲镇": 3, "乙镇": 4, "丙局": 5}
    rows = [row("2018-03-01", u, "好稿", 数量=str(n)) for u, n in amounts.items()]
    results = results_by_unit(evaluate(tmp_path, BUNDLES, rows))
    assert {u: r["捆绑分"] for u, r in results.items()} == {"甲镇": 8, "乙镇": 4, "丙局": 8}
    assert {u: r["捆绑数"] for u, r in results.items()} == {"甲镇": 2, "乙镇": 1, "丙局": 2}


# ---------------------------------------------------------------- 14. 且/并 in a count phrase

JOINED = """标题：测试
考核期：2018年
【刊物】
交流：国家、省
【类别】经验、综合
【单位组】
甲组：甲局
【结果】
经验批示数：条数（被国家级采用并得到国家级领导批示的经验信息）
国家采用数：条数（被国家级采用的经验信息）
"""


def test_a_joined_count_phrase_needs_the_item_to_have_both_rows(tmp_path):
    rows = []
    for item, category, adopted, instructed in (("X", "经验", "国家", "国家"),   # counts
                                                ("Y", "经验", "国家", "省"),     # 批示 not 国家
                                                ("Z", "综合", "国家", "国家"),   # not 经验
                                                ("W", "经验", "省", "国家"),     # 采用 not 国家
                                                ("V", "经验", "国家", None)):    # no 批示 at all
        rows.append(row("2018-02-01", "甲局", "报送", 信息编号=item, 类别=category))
        rows.append(adopt("2018-03-01", "甲局", item, "交流", adopted))
        if instructed:
            rows.append(row("2018-04-01", "甲局", "批示", 信息编号=item, 级别=instructed))
    results = results_by_unit(evaluate(tmp_path, JOINED, rows))
    assert results["甲局"]["经验批示数"] == 1
    assert results["甲局"]["国家采用数"] == 3


# ---------------------------------------------------------------- 15. a category that is also an event

BOTH = """标题：测试
考核期：2018年
【级别】
市：杭州市
【刊物】
杭州政务：市
【类别】约稿、动态
【事项】约稿
【单位组】
甲组：甲局
【计分：约稿分】
约稿，每次加1分
【计分：采用分】
被《杭州政务》录用的，每条计8分
同一信息被多处录用的，累计计分
被市级采用的约稿信息，按三倍计分
【结果】
约稿得分：约稿分
采用得分：采用分
约稿次数：条数（约稿）
"""


def test_a_word_that_is_a_category_and_an_event_means_the_event_alone_and_the_category_beside_one(tmp_path):
    rows = [row("2018-02-01", "甲局", "约稿", 数量="2"),
            row("2018-02-01", "甲局", "报送", 信息编号="Y1", 类别="约稿"),
            adopt("2018-03-01", "甲局", "Y1", "杭州政务", "市"),
            row("2018-02-01", "甲局", "报送", 信息编号="D1", 类别="动态"),
            adopt("2018-03-01", "甲局", "D1", "杭州政务", "市")]
    result = evaluate(tmp_path, BOTH, rows)
    results = results_by_unit(result)["甲局"]
    assert results["约稿得分"] == 2
    assert results["采用得分"] == 24 + 8
    assert results["约稿次数"] == 2
    scored = sorted(c.row.event for c in result.evaluation.matches["约稿分"])
    assert scored == ["约稿"]


# ---------------------------------------------------------------- 16. traditional characters

SMALL = """标题：全市政务信息工作考核办法
考核期：2018年
【级别】
市：杭州市
县：建德市
【刊物】
杭州政务：市
建德动态：县
【形式】简讯、要情、专报
【类别】调研、约稿、应急、经验
【标记】负面
【事项】约稿、应急违规、信息失实、缺席会议、表彰
【事项】蹲岗（数量为周数）
【单位组】
乡镇（2个），季度目标30分：新安江街道、梅城镇
部门（3个），季度目标20分：发改局、财政（地税）局、审计局
【单位数值：基础分】
新安江街道、梅城镇：120分
发改局：100分
【捆绑考核】
梅城镇、审计局
【计分：采用分】
被《建德动态》录用的，每条计4分
被《建德动态》以简讯形式录用的，每条计2分
被《杭州政务》录用的要情类信息，每条计8分
乡镇被《杭州政务》录用的专报类信息，每条计32分
同一行适用多条的，取最具体的一条
同一信息被多处录用的，累计计分
被杭州市录用的约稿信息，按三倍计分
应急信息，不计分
【计分：约稿分】
约稿，按分值计分，最高10分
【计分：事项分】
应急违规的，第一次扣10分，第二次起每次扣20分
缺席会议，每次扣10分
表彰，每次为5分
蹲岗满3周的，每次加基础分的10%
每月若 条数（报送）= 0，扣10分
【名次分：季度名次分】
乡镇：第1至1名依次15至15分，其余5分
部门：第1至2名依次10至9分，后一名得基本分3分
【中间量】
全年不得分（全年）：条数（信息失实）> 0
批示经验数（全年）：条数（被国家级采用并得到国家级领导批示的经验信息）
季度排名（按季）：排名（季度信息分，本组，从高到低）
【结果】
季度信息分（按季）：若 全年不得分 则 0 否则 采用分 + 约稿分 + 事项分
季度考核分（按季）：若 季度信息分 ≥ 本组季度目标 则 名次分（季度名次分，季度排名） 否则 0
年度考核分：合计（季度考核分）
年度排名：排名（年度考核分，本组，从高到低，置顶：批示经验数 > 0）
完成率：合计（季度信息分） ÷ 基础分
捆绑分：捆绑合计（年度考核分）
捆绑：捆绑单位数 > 1
每月报送：每月都（条数（报送）≥ 1） 且 月数（条数（报送）≥ 1）= 12
取整：最大（向上取整（年度考核分 ÷ 3），向下取整（年度考核分 ÷ 4））
乡镇单位：属于（乡镇）
评先：评选（年度考核分，本组，从高到低，名额：1，资格：非 全年不得分，并列超出名额的都不选）
空目标：若 基础分 = 空 则 空 否则 1
"""


def test_a_policy_in_traditional_characters_compiles_to_the_same_ir():
    import zhconv

    traditional = zhconv.convert(SMALL, "zh-hant")
    for keyword in ("【計分：", "每條", "【結果】", "【單位組】", "【單位數值：", "【捆綁考核】", "第二次起每次扣",
                    "按分值計分", "若 全年不得分 則 0 否則", "捆綁合計（", "評選（", "並列超出名額的都不選",
                    "向上取整（", "屬於（", "條數（", "合計（", "名次分（"):
        assert keyword in traditional, keyword
    simplified = compiled_ok(SMALL)
    other = compile_text(traditional, "traditional.rule")
    assert other.ok, [f"{d.code} {d.span} {d.message}" for d in other.diagnostics.items]
    assert codes(other) == codes(simplified)
    assert simplified.plan.policy == other.plan.policy


def test_traditional_and_simplified_score_the_same(tmp_path):
    import zhconv
    from govrule.runtime.run import evaluate_ledger

    rows = [adopt("2018-03-05", "梅城镇", "M1", "杭州政务", "市", 形式="专报"),
            row("2018-03-05", "梅城镇", "约稿", 分值="12"),
            row("2018-04-05", "发改局", "蹲岗", 数量="3"),
            row("2018-05-05", "发改局", "应急违规", 数量="2")]
    path = write_ledger(tmp_path / "l.csv", rows)
    a = evaluate_ledger(compiled_ok(SMALL).plan, [path])
    b = evaluate_ledger(compiled_ok(zhconv.convert(SMALL, "zh-hant")).plan, [path])
    assert results_by_unit(a) == results_by_unit(b)
    assert results_by_unit(a)["发改局"]["季度信息分"]["2018Q2"] == 10 - 30 - 30


WEI = """标题：测试
考核期：2018年
【事项】约稿、蹲岗（{measure}周数）
【单位组】
甲组：甲局
【计分：加分】
约稿，每次{verb}5分
蹲岗满3周的，每次加5分
【结果】
分：加分
"""


@pytest.mark.parametrize("measure, verb", [("數量為", "為"), ("數量爲", "爲")], ids=["wei-tw", "wei-hant"])
def test_both_traditional_forms_of_wei_read_like_the_simplified_one(measure, verb):
    # zhconv's zh-hant writes 为 as 爲; 為 is the other common traditional form
    expected = compiled_ok(WEI.format(measure="数量为", verb="为")).plan.policy
    assert compiled_ok(WEI.format(measure=measure, verb=verb)).plan.policy == expected


GRAIN_POLICY = """
考核期：2018年
【单位组】
甲组：甲局、乙局
【计分：分】
报送，每条计1分
【中间量】
季分（按季）：分
中转：季分 + 1
【结果】
年度：{year}
季排名（按季）：排名（季分，本组，从高到低）
全年度分（全年度）：分
"""


def test_a_per_quarter_quantity_reached_through_an_intermediate_needs_a_total():
    compiled = compile_text(GRAIN_POLICY.format(year="中转"))
    assert codes(compiled) == ["GR107"]
    assert compiled.diagnostics.items[0].span.line == 9          # the reference inside 中转
    assert codes(compile_text(GRAIN_POLICY.format(year="合计（季分）"))) == []


def test_table_output_with_a_per_quarter_rank(tmp_path):
    from conftest import run_cli

    policy = tmp_path / "p.rule"
    policy.write_text(GRAIN_POLICY.format(year="合计（季分）"), encoding="utf-8")
    ledger = write_ledger(tmp_path / "l.csv", [{"日期": "2018-05-02", "单位": "乙局", "事项": "报送", "信息编号": "A"}])
    done = run_cli("eval", str(policy), str(ledger))
    assert done.returncode == 0, done.stderr
    assert "季排名·Q2" in done.stdout and "全年度分" in done.stdout
    line = next(l for l in done.stdout.splitlines() if "乙局" in l)
    assert line.split()[2:8] == ["1", "1", "1", "1", "1", "1"]   # 年度, Q1…Q4 ranks, 全年度分
