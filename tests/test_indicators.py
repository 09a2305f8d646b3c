"""朔州's constructs: indicator trees, caps, named sets, parameters, per-gap scores."""
from __future__ import annotations

import json
from fractions import Fraction

from conftest import DATA, POLICIES, broken_copy, codes, compile_text, read_rows, results_by_unit, run_cli, write_ledger

LEDGER = DATA / "shuozhou" / "ledger.csv"
ROWS = read_rows(LEDGER)


def evaluate(plan, path, parameters=None):
    from govrule.runtime.run import evaluate_ledger

    return evaluate_ledger(plan, [path], parameters=parameters)


def qualifying(unit: str, category: str) -> int:
    """Counted straight from the ledger, as the spec defines a qualifying 专报/简报."""
    excluded = {"党务", "会议", "领导动态", "新闻"}
    total = 0
    for r in ROWS:
        tags = {t for t in r["标记"].replace("，", "、").split("、") if t}
        if (r["单位"] == unit and r["事项"] == "报送" and r["类别"] == category and r["日期"] >= "2022-07-01"
                and not tags & excluded and (category != "专报" or int(r["字数"] or 0) >= 1500)):
            total += 1
    return total


def test_param_changes_shortfall_and_surplus_as_the_spec_implies(shuozhou_plan):
    default = evaluate(shuozhou_plan, LEDGER)
    raised = evaluate(shuozhou_plan, LEDGER, {"专报要求": Fraction(8)})
    changed = 0
    for unit in shuozhou_plan.policy.units:
        n = qualifying(unit.name, "专报")
        for result, requirement in ((default, 6), (raised, 8)):
            e = result.evaluation
            assert e.quantity("合格专报数", unit.name, e.period) == n
            assert e.quantity("专报报送", unit.name, e.period) == -2 * max(requirement - n, 0)
        surplus = lambda result, req: result.evaluation.quantity("加分", unit.name, result.evaluation.period)
        difference = surplus(default, 6) - surplus(raised, 8)
        assert difference == 2 * max(n - 6, 0) - 2 * max(n - 8, 0)
        changed += difference != 0 or max(6 - n, 0) != max(8 - n, 0)
    assert changed > 0, "the example ledger must exercise the parameter"


def test_param_on_the_command_line(tmp_path):
    base = run_cli("eval", str(POLICIES / "shuozhou-2022.rule"), str(LEDGER), "--format", "json")
    moved = run_cli("eval", str(POLICIES / "shuozhou-2022.rule"), str(LEDGER), "--format", "json",
                    "--param", "专报要求=8")
    assert base.returncode == moved.returncode == 0, moved.stderr
    a = {u["unit"]: u["results"] for u in json.loads(base.stdout)["units"]}
    b = {u["unit"]: u["results"] for u in json.loads(moved.stdout)["units"]}
    assert a != b
    assert all(b[u]["基础项"] <= a[u]["基础项"] for u in a)        # a higher requirement never helps


def test_unknown_param_is_an_error_with_a_suggestion():
    done = run_cli("eval", str(POLICIES / "shuozhou-2022.rule"), str(LEDGER), "--param", "专报要球=8")
    assert done.returncode == 1
    assert "专报要球" in done.stderr and "专报要求" in done.stderr
    bad = run_cli("eval", str(POLICIES / "shuozhou-2022.rule"), str(LEDGER), "--param", "专报要求=八条半")
    assert bad.returncode == 1 and "不是数字" in bad.stderr
    assert "Traceback" not in done.stderr + bad.stderr


def test_check_reports_a_weight_tree_that_does_not_add_up(tmp_path):
    path, broken = broken_copy(tmp_path, "shuozhou", "研究部署（3分）", "研究部署（4分）")
    done = run_cli("check", str(path), "--format", "json")
    found = [d for d in json.loads(done.stdout)["diagnostics"] if d["code"] == "GR207"]
    assert len(found) == 1
    assert "组织领导" in found[0]["message"] and "16分" in found[0]["message"] and "17分" in found[0]["message"]
    line = next(i for i, l in enumerate(broken.splitlines(), 1) if l.startswith("组织领导（16分）"))
    assert found[0]["line"] == line


def test_first_level_weights_must_add_up_to_the_total():
    compiled = compile_text(TREE.replace("（80分）", "（90分）"))
    assert codes(compiled) == ["GR207"]
    assert "基础项" in compiled.diagnostics.items[0].message


TREE = """
考核期：2022年
【单位组】
甲组（2个）：甲局、乙局
【事项】未部署、约稿未报、迟报
【指标：基础项（80分）】
领导（30分）：部署（10分）、约稿（20分）
报送（50分）：迟报扣分（50分）
【计分：部署】
未部署，每项扣4分
【计分：约稿】
约稿未报，每条扣2分，扣分上限6分
【计分：迟报扣分】
迟报，每次扣30分
本项扣分上限40分
【结果】
领导、报送、基础项
"""


def test_caps_and_indicator_bounds(tmp_path):
    compiled = compile_text(TREE)
    assert codes(compiled) == []
    rows = ([{"日期": "2022-03-01", "单位": "甲局", "事项": "未部署", "数量": "8"}]        # −32 (beyond its 10)
            + [{"日期": "2022-03-02", "单位": "甲局", "事项": "约稿未报"}] * 5               # −10, capped at −6
            + [{"日期": "2022-04-01", "单位": "甲局", "事项": "迟报", "数量": "2"}])          # −60, capped at −40
    result = evaluate(compiled.plan, write_ledger(tmp_path / "l.csv", rows))
    units = results_by_unit(result)
    e = result.evaluation
    assert e.quantity("部署", "甲局", e.period) == -32                 # an item may exceed its own weight
    assert e.quantity("约稿", "甲局", e.period) == -6
    assert units["甲局"]["领导"] == 0                                  # 30 − 38, but never below 0
    assert units["甲局"]["报送"] == 10
    assert units["甲局"]["基础项"] == units["甲局"]["领导"] + units["甲局"]["报送"]
    assert units["乙局"] == {"领导": 30, "报送": 50, "基础项": 80}


def test_a_cap_leaves_a_trace_with_the_value_before_and_after(tmp_path):
    from govrule.compiler import ir

    compiled = compile_text(TREE)
    rows = [{"日期": "2022-03-02", "单位": "甲局", "事项": "约稿未报"}] * 5
    result = evaluate(compiled.plan, write_ledger(tmp_path / "l.csv", rows))
    contributions = result.evaluation.contributions("约稿", "甲局")
    caps = [c for c in contributions if isinstance(c.rule, ir.Cap)]
    assert len(caps) == 1
    assert caps[0].base == -10 and caps[0].points == 4 and caps[0].rule.limit == 6
    assert sum(c.points for c in contributions) == -6


def test_named_sets_filter_by_date_length_and_tags(tmp_path):
    compiled = compile_text("""
考核期：2022年
【类别】专报
【标记】党务
【单位组】
甲组：甲局
【集合】
合格专报：2022年7月1日起报送的专报信息，字数不少于1500，非党务
【中间量】
【结果】
合格数：条数（合格专报）
""")
    assert codes(compiled) == []
    base = {"单位": "甲局", "事项": "报送", "类别": "专报", "字数": "1500"}
    rows = [dict(base, 日期="2022-07-01", 信息编号="A"),                       # counts
            dict(base, 日期="2022-06-30", 信息编号="B"),                       # too early
            dict(base, 日期="2022-08-01", 信息编号="C", 字数="1499"),          # too short
            dict(base, 日期="2022-08-01", 信息编号="D", 标记="党务"),          # excluded tag
            dict(base, 日期="2022-08-01", 信息编号="E", 类别=""),              # not a 专报
            dict(base, 日期="2022-12-31", 信息编号="F")]                       # counts
    result = evaluate(compiled.plan, write_ledger(tmp_path / "l.csv", rows))
    assert results_by_unit(result)["甲局"]["合格数"] == 2


def test_per_group_parameter_override_and_unused_parameter():
    text = """
【单位组】
甲组，专报要求8：甲局
乙组：乙局
【参数】
专报要求：6条
没用上：3
【集合】
合格专报：报送的信息
【计分：专报报送】
全年若 条数（合格专报）< 专报要求，每少一条扣2分
【结果】
扣分：专报报送
"""
    compiled = compile_text(text)
    assert codes(compiled) == ["GR208"]
    assert "没用上" in compiled.diagnostics.items[0].message
    from govrule.runtime.evaluate import Evaluation
    from govrule.runtime.run import assessment_period

    e = Evaluation(compiled.plan, [], assessment_period(compiled.plan))
    assert e.output("扣分", "甲局") == -16 and e.output("扣分", "乙局") == -12
    overridden = Evaluation(compiled.plan, [], assessment_period(compiled.plan), {"专报要求": Fraction(1)})
    assert overridden.output("扣分", "甲局") == -2 == overridden.output("扣分", "乙局")


def test_per_gap_needs_a_comparison():
    compiled = compile_text("""
【单位组】
甲组：甲局
【计分：扣分】
全年若 条数（报送），每少一条扣2分
【结果】
扣：扣分
""")
    assert "GR108" in codes(compiled)


def test_exporting_a_block_under_its_own_name_is_an_error():
    compiled = compile_text("""
【单位组】
甲组：甲局
【计分：采用分】
报送，每条计1分
【结果】
采用分
""")
    assert codes(compiled) == ["GR109"]


SET_POLICY = """
考核期：2022年
【类别】专报、简报
【单位组】
甲组：甲局
【集合】
合格专报：2022年7月1日起报送的专报信息
上半年：2022年7月1日前报送的信息
【计分：加分】
采用的合格专报，每条加5分
同一信息被多处采用的，累计计分
【结果】
加分项：加分
上半年数：条数（上半年）
"""


def test_a_set_of_submissions_in_an_adoption_clause_asks_about_the_item(tmp_path):
    compiled = compile_text(SET_POLICY)
    assert codes(compiled) == []
    rows = [{"日期": "2022-07-05", "单位": "甲局", "事项": "报送", "信息编号": "A", "类别": "专报"},
            {"日期": "2022-08-01", "单位": "甲局", "事项": "采用", "信息编号": "A", "级别": "市", "刊物": "日报"},
            {"日期": "2022-06-30", "单位": "甲局", "事项": "报送", "信息编号": "B", "类别": "专报"},
            {"日期": "2022-08-01", "单位": "甲局", "事项": "采用", "信息编号": "B", "级别": "市", "刊物": "日报"},
            {"日期": "2022-07-01", "单位": "甲局", "事项": "报送", "信息编号": "C", "类别": "简报"}]
    result = evaluate(compiled.plan, write_ledger(tmp_path / "l.csv", rows))
    assert result.rejected == []
    units = results_by_unit(result)
    assert units["甲局"]["加分项"] == 5          # only A: submitted after 7月1日 as a 专报, then adopted
    assert units["甲局"]["上半年数"] == 1        # 7月1日前 is up to 6月30日


def test_a_set_whose_phrases_cannot_all_hold_is_an_error():
    compiled = compile_text(SET_POLICY.replace("【计分：加分】", "【集合】\n两类都要：报送的专报信息，报送的简报信息\n【计分：加分】"))
    assert codes(compiled) == ["GR209"]
    assert "专报" in compiled.diagnostics.items[0].message and "简报" in compiled.diagnostics.items[0].message


def test_caps_bound_only_their_direction(tmp_path):
    compiled = compile_text("""
考核期：2022年
【单位组】
甲组：甲局
【事项】好信息、迟报
【计分：混合】
好信息，每条加10分
迟报，每次扣10分
本项扣分上限15分
【计分：加】
好信息，每条加10分，加分上限15分
【结果】
混合分：混合
加分：加
""")
    assert codes(compiled) == []
    rows = [{"日期": "2022-03-01", "单位": "甲局", "事项": "好信息", "数量": "3"}]
    units = results_by_unit(evaluate(compiled.plan, write_ledger(tmp_path / "a.csv", rows)))
    assert units["甲局"] == {"混合分": 30, "加分": 15}        # 扣分上限 leaves a bonus alone
    rows = [{"日期": "2022-03-01", "单位": "甲局", "事项": "迟报", "数量": "3"}]
    units = results_by_unit(evaluate(compiled.plan, write_ledger(tmp_path / "b.csv", rows)))
    assert units["甲局"]["混合分"] == -15


def test_per_gap_words_must_agree_with_the_comparison():
    base = """
【单位组】
甲组：甲局
【参数】
要求：6
【计分：扣分】
全年若 条数（报送）{op} 要求，{word}扣2分
【结果】
扣：扣分
"""
    assert codes(compile_text(base.format(op="<", word="每少一条"))) == []
    assert codes(compile_text(base.format(op="<", word="每少报一条"))) == []
    assert codes(compile_text(base.format(op=">", word="每少一条"))) == ["GR108"]
    assert codes(compile_text(base.format(op="<", word="每多报一条"))) == ["GR108"]


def test_outputs_follow_the_results_section_and_exports_belong_there():
    compiled = compile_text(TREE.replace("领导、报送、基础项", "总分：基础项 + 1\n领导、报送"))
    assert codes(compiled) == []
    assert [d.name for d in compiled.policy.outputs] == ["总分", "领导", "报送"]
    misplaced = compile_text(TREE.replace("【结果】\n领导、报送、基础项", "【中间量】\n领导\n【结果】\n总：基础项"))
    assert codes(misplaced) == ["GR001"]
    unknown = compile_text(TREE.replace("领导、报送、基础项", "领导、报宋"))
    assert codes(unknown) == ["GR102"] and "报送" in unknown.diagnostics.items[0].hint


def test_a_parameter_named_like_a_quantity_is_a_duplicate():
    compiled = compile_text(TREE.replace("【结果】", "【参数】\n领导：3\n【结果】"))
    assert "GR104" in codes(compiled)


def test_param_accepts_percent_and_negative_values(tmp_path):
    policy = tmp_path / "p.rule"
    policy.write_text("""
考核期：2022年
【单位组】
甲组：甲局
【参数】
比例：10%
【结果】
值：比例 × 100
""", encoding="utf-8")
    ledger = write_ledger(tmp_path / "l.csv", [])
    for given, want in (("比例=40%", 40), ("比例=-2", -200), ("比例=0.5", 50)):
        done = run_cli("eval", str(policy), str(ledger), "--format", "json", "--param", given)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["units"][0]["results"]["值"] == want
