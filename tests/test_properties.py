"""Properties that must hold for any ledger, checked with hypothesis."""
from __future__ import annotations

import random
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, read_rows, results_by_unit, write_ledger

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
YIMA_ROWS = read_rows(DATA / "yima" / "ledger.csv")
FENGQIU_ROWS = read_rows(DATA / "fengqiu" / "ledger.csv")
JIANDE_ROWS = read_rows(DATA / "jiande" / "ledger.csv")
CIXI_ROWS = read_rows(DATA / "cixi" / "ledger.csv")
SHUOZHOU_ROWS = read_rows(DATA / "shuozhou" / "ledger.csv")


def evaluate(plan, path):
    from govrule.runtime.run import evaluate_ledger

    return evaluate_ledger(plan, [path])


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_shuffling_rows_changes_no_result(tmp_path_factory, yima_plan, fengqiu_plan, jiande_plan, cixi_plan,
                                          shuozhou_plan, seed):
    """Every seed policy: periods, selection, caps and escalation included."""
    for plan, rows in ((yima_plan, YIMA_ROWS), (fengqiu_plan, FENGQIU_ROWS[:800]), (jiande_plan, JIANDE_ROWS),
                       (cixi_plan, CIXI_ROWS), (shuozhou_plan, SHUOZHOU_ROWS)):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        folder = tmp_path_factory.mktemp("shuffle")
        a = evaluate(plan, write_ledger(folder / "a.csv", rows))
        b = evaluate(plan, write_ledger(folder / "b.csv", shuffled))
        assert results_by_unit(a) == results_by_unit(b)


YIMA_SCORED = [("县", "政府快报"), ("市", "政府快报"), ("省", "政府工作快报")]


@SETTINGS
@given(unit_index=st.integers(0, 62), where=st.sampled_from(YIMA_SCORED),
       form=st.sampled_from(["", "条目", "专期"]), existing_item=st.booleans(),
       month=st.integers(1, 12))
def test_adding_a_scored_adoption_never_lowers_a_yima_score(tmp_path_factory, yima_plan, unit_index,
                                                            where, form, existing_item, month):
    unit = yima_plan.policy.units[unit_index].name
    own_items = [r["信息编号"] for r in YIMA_ROWS if r["单位"].split("/")[0] == unit and r["信息编号"]]
    item = own_items[0] if existing_item and own_items else "NEW-ITEM"
    extra = {"日期": f"2020-{month:02d}-15", "单位": unit, "事项": "采用", "信息编号": item,
             "刊物": where[1], "级别": where[0], "形式": form}
    folder = tmp_path_factory.mktemp("monotone")
    before = results_by_unit(evaluate(yima_plan, write_ledger(folder / "a.csv", YIMA_ROWS)))
    after = results_by_unit(evaluate(yima_plan, write_ledger(folder / "b.csv", YIMA_ROWS + [extra])))
    assert after[unit]["积分"] > before[unit]["积分"]
    for other in before:
        if other != unit:
            assert after[other]["积分"] == before[other]["积分"]


FENGQIU_TABLE = {("省", "政务要闻·重要情况专报"): (30, 30), ("省", "政府工作快报"): (30, 90),
                 ("省", "共享信息"): (10, 10), ("市", "领导参阅"): (20, 60), ("市", "新乡政务快报"): (6, 20),
                 ("市", "共享信息"): (2, 2), ("县", "政务信息"): (2, 10), ("县", "封丘日报"): (0, 0)}


@SETTINGS
@given(adoptions=st.lists(st.tuples(st.sampled_from(sorted(FENGQIU_TABLE)), st.booleans()), min_size=1, max_size=6),
       negative=st.booleans(), instructed=st.booleans())
def test_fengqiu_item_adopted_many_times_scores_at_most_best_times_multipliers(
        tmp_path_factory, fengqiu_plan, adoptions, negative, instructed):
    rows = [{"日期": "2023-03-01", "单位": "城关镇", "事项": "报送", "信息编号": "Q1", "类别": "动态",
             "标记": "负面" if negative else ""}]
    for (level, publication), special in adoptions:
        rows.append({"日期": "2023-03-05", "单位": "城关镇", "事项": "采用", "信息编号": "Q1",
                     "刊物": publication, "级别": level, "形式": "专期" if special else ""})
    if instructed:
        rows.append({"日期": "2023-03-09", "单位": "城关镇", "事项": "批示", "信息编号": "Q1", "级别": "市"})
    result = evaluate(fengqiu_plan, write_ledger(tmp_path_factory.mktemp("fq") / "l.csv", rows))
    best = max(FENGQIU_TABLE[key][1 if special else 0] for key, special in adoptions)
    multiplier = 1 + negative + instructed
    adoption_score = result.evaluation.block_value("采用分", "城关镇", result.evaluation.period)
    assert adoption_score <= best * multiplier
    assert adoption_score == best * multiplier          # and exactly that, by the spec


@SETTINGS
@given(cells=st.lists(st.fixed_dictionaries({
    "日期": st.sampled_from(["2020-01-01", "2020/2/30", "x", "", "2020年5月1日", "2019-12-31"]),
    "单位": st.sampled_from(["公安局", "公安", "", "财政局/科", "財政局", "?"]),
    "事项": st.sampled_from(["报送", "采用", "批示", "信息失实", "乱写", ""]),
    "信息编号": st.sampled_from(["", "A", "B"]),
    "刊物": st.sampled_from(["", "政府快报", "《政府工作快报》", "不知道"]),
    "级别": st.sampled_from(["", "省", "市", "县", "国家", "省级", "x"]),
    "数量": st.sampled_from(["", "1", "三", "abc", "-1", "2.5"]),
    "标记": st.text(max_size=4)}), max_size=12))
def test_any_rows_are_each_counted_unmatched_or_rejected(tmp_path_factory, yima_plan, cells):
    result = evaluate(yima_plan, write_ledger(tmp_path_factory.mktemp("junk") / "l.csv", cells))
    kept = [c for c in cells if any(str(v).strip() for v in c.values())]
    assert len(result.counted) + len(result.unmatched) + len(result.rejected) == len(kept)
    for unit in result.units:
        assert isinstance(unit.results["积分"], Fraction)




def _subset(rows, seed, keep):
    rng = random.Random(seed)
    return [r for r in rows if rng.random() < keep]


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), keep=st.floats(0.05, 1.0))
def test_no_quarter_gets_more_rank_points_than_its_table_top(tmp_path_factory, jiande_plan, seed, keep):
    rows = _subset(JIANDE_ROWS, seed, keep)
    result = evaluate(jiande_plan, write_ledger(tmp_path_factory.mktemp("rp") / "l.csv", rows))
    table = jiande_plan.rank_tables["季度名次分"]
    for unit in result.units:
        row = table[unit.group]
        top = max(row.points + ((row.rest,) if row.rest is not None else ()))
        quarters = unit.results["季度考核分"]
        assert set(quarters) == {"2018Q1", "2018Q2", "2018Q3", "2018Q4"}
        for value in quarters.values():
            assert 0 <= value <= top
            assert value == 0 or value in row.points or value == row.rest
        assert unit.results["年度考核分"] == sum(quarters.values())


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), keep=st.floats(0.05, 1.0))
def test_selected_units_outside_direct_places_never_exceed_the_quota(tmp_path_factory, cixi_plan, seed, keep):
    import math

    rows = _subset(CIXI_ROWS, seed, keep)
    result = evaluate(cixi_plan, write_ledger(tmp_path_factory.mktemp("sel") / "l.csv", rows))
    evaluation = result.evaluation
    for group in cixi_plan.policy.groups:
        members = [u for u in result.units if u.group == group.name]
        quota = math.floor(group.attribute("先进比例") * len(group.members))
        direct = {u.unit for u in members if evaluation.quantity("直接先进", u.unit, evaluation.period)}
        selected = {u.unit for u in members if u.results["先进单位"]}
        assert direct <= selected
        assert len(selected - direct) <= quota
        for unit in selected - direct:        # only eligible units fill the quota
            assert evaluation.quantity("可评先", unit, evaluation.period)


SHUOZHOU_DEDUCTIONS = ["领导未批示文件", "领导未批示通报", "未研究部署", "职责未落实", "职责逾期报送",
                       "人员变动未告知", "约稿未报", "约稿抄袭", "只列提纲", "不配合反馈", "点名批评"]
FIRST_LEVEL = {"组织领导": 16, "信息报送": 49, "信息保障": 15}


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), keep=st.floats(0.0, 1.0),
       extra=st.lists(st.tuples(st.integers(0, 40), st.sampled_from(SHUOZHOU_DEDUCTIONS), st.integers(1, 30)),
                      max_size=30))
def test_indicators_stay_within_their_weights(tmp_path_factory, shuozhou_plan, seed, keep, extra):
    units = [u.name for u in shuozhou_plan.policy.units]
    rows = _subset(SHUOZHOU_ROWS, seed, keep) + [
        {"日期": "2022-05-01", "单位": units[i], "事项": event, "数量": str(n)} for i, event, n in extra]
    result = evaluate(shuozhou_plan, write_ledger(tmp_path_factory.mktemp("sz") / "l.csv", rows))
    for unit in result.units:
        for name, weight in FIRST_LEVEL.items():
            assert 0 <= unit.results[name] <= weight
        assert unit.results["基础项"] == sum(unit.results[n] for n in FIRST_LEVEL) <= 80
        assert unit.results["总成绩"] == unit.results["基础项"] + unit.results["加分项"]


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), unit_index=st.integers(0, 40),
       events=st.lists(st.tuples(st.sampled_from(SHUOZHOU_DEDUCTIONS), st.integers(1, 5)), min_size=1, max_size=6))
def test_adding_deduction_events_never_raises_the_base_score(tmp_path_factory, shuozhou_plan, seed, unit_index, events):
    unit = shuozhou_plan.policy.units[unit_index].name
    rows = _subset(SHUOZHOU_ROWS, seed, 0.5)
    more = rows + [{"日期": "2022-09-01", "单位": unit, "事项": e, "数量": str(n)} for e, n in events]
    folder = tmp_path_factory.mktemp("mono")
    before = results_by_unit(evaluate(shuozhou_plan, write_ledger(folder / "a.csv", rows)))
    after = results_by_unit(evaluate(shuozhou_plan, write_ledger(folder / "b.csv", more)))
    assert after[unit]["基础项"] <= before[unit]["基础项"]
    for name in FIRST_LEVEL:
        assert after[unit][name] <= before[unit][name]
    assert {u: r for u, r in after.items() if u != unit} == {u: r for u, r in before.items() if u != unit}

