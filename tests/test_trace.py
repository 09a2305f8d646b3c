"""Explanation traces: the tree redoes every output's arithmetic exactly, and accounts for every row."""
from __future__ import annotations

import csv
import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, SEED_POLICIES, compile_text, run_cli, scored_example, write_ledger

SEEDS = sorted(SEED_POLICIES)


@pytest.fixture(scope="module", params=SEEDS)
def scored(request):
    return request.param, *scored_example(request.param)


def _sample_units(results, count=6):
    """A spread of units: the best and worst of the first output, and some between."""
    units = [u.unit for u in results.units]
    step = max(1, len(units) // count)
    return units[::step][:count] + units[-1:]


def _truthy(value) -> bool:
    return bool(value) if value is not None else False


def redo(node, plan) -> None:
    """Recompute a node's value from its operand children, for every node of the tree."""
    for child in node.children:
        redo(child, plan)
    kids = node.operands()
    values = [k.value for k in kids]
    op, value = node.op, node.value
    if op is None:
        return
    if op in ("sum", "count"):
        expected = None if any(v is None for v in values) else sum(values, Fraction(0))
    elif op == "=":
        expected = values[0]
    elif op in ("+", "-", "*", "/"):
        if any(v is None for v in values):
            expected = None
        elif op == "+":
            expected = values[0] + values[1]
        elif op == "-":
            expected = values[0] - values[1]
        elif op == "*":
            expected = Fraction(1)
            for v in values:
                expected *= v
        else:
            expected = None if values[1] == 0 else Fraction(values[0]) / values[1]
    elif op == "neg":
        expected = None if values[0] is None else -values[0]
    elif op == "not":
        expected = None if values[0] is None else not values[0]
    elif op == "and":
        expected = all(_truthy(v) for v in values)
    elif op == "or":
        expected = any(_truthy(v) for v in values)
    elif op in (">=", "<=", ">", "<", "==", "!="):
        left, right = values
        expected = None if left is None or right is None else {
            ">=": left >= right, "<=": left <= right, ">": left > right, "<": left < right,
            "==": left == right, "!=": left != right}[op]
    elif op in ("is_null", "not_null"):
        expected = (values[0] is None) == (op == "is_null")
    elif op == "if":
        expected = None if kids[0].value is None else kids[1].value
    elif op in ("max", "min", "clamp", "ceil", "floor"):
        import math
        if any(v is None for v in values):
            expected = None
        elif op == "clamp":
            expected = min(max(values[0], values[1]), values[2])
        elif op in ("max", "min"):
            expected = max(values) if op == "max" else min(values)
        else:
            expected = Fraction(math.ceil(values[0]) if op == "ceil" else math.floor(values[0]))
    elif op == "all":
        expected = all(_truthy(v) for v in values)
    elif op == "count_true":
        expected = Fraction(sum(_truthy(v) for v in values))
    elif op == "items":
        expected = Fraction(len(kids))
    elif op == "rows":
        expected = Fraction(len(node.children))
    elif op == "stack_mul":
        expected = Fraction(1)
        for v in values:
            expected *= v
    elif op == "stack_add":
        expected = 1 + sum((v - 1 for v in values), Fraction(0))
    elif op == "when":
        expected = node.extra["points"] if _truthy(values[0]) else Fraction(0)
    elif op == "per_gap":
        left, right = (k.value for k in kids[0].operands())
        expected = node.extra["points"] * abs(left - right) if _truthy(values[0]) else Fraction(0)
    elif op == "adjust":
        expected = node.extra["after"] - node.extra["before"]
    elif op == "lookup":
        row = plan.rank_tables[node.extra["table"]].get(node.extra["group"])
        expected = None if values[0] is None or row is None else row.points_for(int(values[0]))
    elif op == "rank":
        ordering = next(c for c in node.children if c.extra.get("ordering")).children
        me = next(c for c in ordering if c.extra["self"])
        pinned = [c for c in ordering if c.extra["pinned"]]
        descending = "从高到低" in node.label or "从低到高" not in node.label
        if me.extra["pinned"]:
            expected = Fraction(1)
        elif me.value is None:
            expected = None
        else:
            better = sum(1 for c in ordering if not c.extra["pinned"] and c.value is not None
                         and (c.value > me.value if descending else c.value < me.value))
            expected = Fraction(len(pinned) + better + 1)
    elif op == "select":
        candidates = next(c for c in node.children if c.extra.get("ordering")).children
        quota = next(c for c in node.children if c.label.startswith("名额")).value
        chosen = [c for c in candidates if c.extra["selected"]]
        assert all(c.extra["eligible"] for c in chosen)
        assert len(chosen) <= quota or all(c.value == chosen[-1].value for c in chosen[int(quota):])
        expected = next(c for c in candidates if c.extra["self"]).extra["selected"]
    else:
        raise AssertionError(f"unknown op {op}")
    assert expected == value, f"{node.label}: {op} of {values} gives {expected}, the trace says {value}"


def test_every_output_is_reproduced_by_its_trace(scored):
    from govrule.runtime.trace import explain

    name, compiled, results = scored
    by_unit = {u.unit: u.results for u in results.units}
    for unit in _sample_units(results):
        nodes = explain(results.evaluation, unit, source=compiled.source)
        roots = nodes[:-1]
        for root in roots:
            redo(root, compiled.plan)
        # every output appears, and its root carries the value eval printed
        for output, value in by_unit[unit].items():
            if isinstance(value, dict):
                for label, v in value.items():
                    root = next(r for r in roots if r.label.startswith(f"{output}（{label}）"))
                    assert root.value == v
            else:
                root = next(r for r in roots if r.label.split("（")[0] == output)
                assert root.value == value


def _ledger_rows_of(name: str, plan, unit: str) -> set[int]:
    """The spreadsheet row numbers of a unit's rows, read with the csv module alone."""
    from govrule.compiler.normalize import normalize

    with open(DATA / name / "ledger.csv", encoding="utf-8-sig", newline="") as f:
        return {i for i, r in enumerate(csv.DictReader(f), start=2)
                if plan.units.get(normalize(r["单位"]).split("/")[0]) == unit}   # 财政局/二级机构 counts for 财政局


def test_every_row_of_a_unit_is_cited_or_listed_as_unscored(scored):
    from govrule.runtime.trace import explain

    name, compiled, results = scored
    for unit in [u.unit for u in results.units]:
        nodes = explain(results.evaluation, unit, source=compiled.source)
        cited = {r.row for n in nodes[:-1] for r in n.cited_rows() if r.unit == unit}
        unscored = [c.row.row for c in nodes[-1].children]
        assert len(unscored) == len(set(unscored))
        assert not cited & set(unscored)
        assert cited | set(unscored) == _ledger_rows_of(name, compiled.plan, unit), unit


def test_removing_a_row_changes_the_unit_only_if_the_trace_cites_it(scored):
    """Independent of the trace: score again without each row. A row whose removal changes any of the
    unit's outputs must be cited; a row listed as scoring nothing must change nothing."""
    from govrule.runtime.evaluate import Evaluation
    from govrule.runtime.trace import explain

    name, compiled, results = scored
    ev = results.evaluation
    outputs = [d.name for d in compiled.plan.policy.outputs]
    unit = max(ev.rows_by_unit, key=lambda u: len(ev.rows_by_unit[u]))
    nodes = explain(ev, unit, source=compiled.source)
    cited = {id(r) for n in nodes[:-1] for r in n.cited_rows()}
    unscored = {id(c.row) for c in nodes[-1].children}
    # rows that made an exception zero another row (被市级以上录用的不计分) are cited by that row's entry
    exception_evidence = {id(e.row) for c in nodes[-1].children for e in c.children}
    before = {o: ev.output(o, unit) for o in outputs}
    rows = ev.rows_by_unit[unit]
    sample = [r for r in rows if id(r) in unscored] + [r for r in rows if id(r) in cited][:12]
    assert sample
    for row in sample:
        again = Evaluation(compiled.plan, [r for r in ev.rows if r is not row], ev.period)
        changed = any(again.output(o, unit) != before[o] for o in outputs)
        if changed:
            assert id(row) in cited | exception_evidence, f"{name} {unit} row {row.row} changes the score but is not cited"
        if id(row) in unscored - exception_evidence:
            assert not changed, f"{name} {unit} row {row.row} is listed as scoring nothing"


def test_fengqiu_failing_flag_names_the_failing_condition(fengqiu_plan):
    from govrule.runtime.trace import explain

    compiled, results = scored_example("fengqiu")
    failing = [u.unit for u in results.units if u.results["可评先"] is False]
    assert failing
    line = compiled.source.splitlines()[compiled.plan.definitions["可评先"].span.line - 1]
    for unit in failing:
        node = explain(results.evaluation, unit, ["可评先"], source=compiled.source)[0]
        assert node.value is False and node.op == "and"
        false = [c for c in node.operands() if c.value is False]
        assert false, unit
        for child in false:
            assert child.label.split("（")[0] in line


def test_caps_show_the_value_before_and_after(tmp_path):
    from govrule.runtime.run import evaluate_ledger
    from govrule.runtime.trace import explain

    compiled = compile_text("""标题：上限
考核期：2022年
【事项】约稿未报、点名批评
【单位组】
部门：甲局、乙局
【计分：约稿报送】
约稿未报，每条扣2分，扣分上限6分
【计分：信息保障】
点名批评，每次扣5分
本项扣分上限8分
【结果】
总分：约稿报送 + 信息保障
""")
    assert compiled.ok, compiled.diagnostics.sorted()
    ledger = write_ledger(tmp_path / "l.csv", [
        *({"日期": f"2022-03-0{d}", "单位": "甲局", "事项": "约稿未报"} for d in range(1, 6)),
        *({"日期": f"2022-05-0{d}", "单位": "甲局", "事项": "点名批评"} for d in range(1, 3)),
        {"日期": "2022-05-01", "单位": "乙局", "事项": "约稿未报"}])
    results = evaluate_ledger(compiled.plan, [ledger])
    root = explain(results.evaluation, "甲局", source=compiled.source)[0]
    redo(root, compiled.plan)
    assert root.value == -14
    adjustments = [n for block in root.operands() for n in block.operands() if n.op == "adjust"]
    assert [(n.extra["before"], n.extra["after"]) for n in adjustments] == [(-10, -6), (-10, -8)]
    assert all(n.rule is not None for n in adjustments)
    # 乙局 stays under its cap: no adjustment
    other = explain(results.evaluation, "乙局", source=compiled.source)[0]
    assert not [n for block in other.operands() for n in block.operands() if n.op == "adjust"]


def test_dropped_and_zeroed_rows_are_listed_with_the_reason(tmp_path):
    from govrule.runtime.run import evaluate_ledger
    from govrule.runtime.trace import explain

    compiled = compile_text("""标题：取最高
考核期：2020年
【刊物】
甲报：省
乙报：市
【类别】应急
【单位组】
部门：甲局
【计分：采用分】
被《甲报》采用的，每条计20分
被《乙报》采用的，每条计6分
同一信息被多处采用的，按最高分计
应急信息，不计分
【结果】
总分：采用分
""")
    assert compiled.ok, compiled.diagnostics.sorted()
    ledger = write_ledger(tmp_path / "l.csv", [
        {"日期": "2020-03-01", "单位": "甲局", "事项": "报送", "信息编号": "A"},
        {"日期": "2020-03-05", "单位": "甲局", "事项": "采用", "信息编号": "A", "刊物": "乙报", "级别": "市"},
        {"日期": "2020-03-09", "单位": "甲局", "事项": "采用", "信息编号": "A", "刊物": "甲报", "级别": "省"},
        {"日期": "2020-04-01", "单位": "甲局", "事项": "采用", "信息编号": "B", "刊物": "甲报", "级别": "省",
         "类别": "应急"}])
    results = evaluate_ledger(compiled.plan, [ledger])
    assert not results.rejected, results.rejected
    root, unscored = explain(results.evaluation, "甲局", source=compiled.source)
    assert root.value == 20
    winner = next(n for n in root.operands()[0].operands() if n.row is not None)
    assert winner.row.row == 4
    assert [c.row.row for c in winner.children if c.role == "context"] == [3]
    reasons = {c.row.row: c.label for c in unscored.children}
    assert set(reasons) == {2, 3, 5}
    assert "取最高" in reasons[3] and "第4行" in reasons[3]
    assert "不计分" in reasons[5]
    assert "没有" in reasons[2]          # the 报送 row: no rule scores or counts it


def test_explain_cli_text_for_one_quarter():
    result = run_cli("explain", "policies/jiande-2018.rule", str(DATA / "jiande" / "ledger.csv"),
                     "--unit", "新安江街道", "--period", "2018Q2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("新安江街道（乡镇）  2018Q2")
    assert "季度信息分（2018Q2）" in out and "季度考核分（2018Q2）" in out
    assert "2018Q1" not in out and "年度排名" not in out       # other quarters and whole-year outputs left out
    assert "policies/jiande-2018.rule:" in out and "← ledger.csv 第" in out
    assert "未计分的行" in out


def test_explain_cli_json_nodes_follow_the_contract():
    result = run_cli("explain", "policies/yima-2020.rule", str(DATA / "yima" / "ledger.csv"),
                     "--unit", "公安局", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["unit"] == "公安局"

    def walk(node):
        assert isinstance(node["label"], str) and isinstance(node["children"], list) and "value" in node
        if "rule" in node:
            assert set(node["rule"]) == {"file", "line"} and node["rule"]["line"] >= 1
        if "row" in node:
            assert set(node["row"]) == {"file", "row"} and node["row"]["row"] >= 2
        for child in node["children"]:
            walk(child)

    for node in data["trace"]:
        walk(node)
    assert any("row" in n for n in _all(data["trace"]))


def _all(nodes):
    for node in nodes:
        yield node
        yield from _all(node["children"])


def test_explain_cli_rejects_unknown_names_and_periods():
    ledger = str(DATA / "yima" / "ledger.csv")
    unknown = run_cli("explain", "policies/yima-2020.rule", ledger, "--unit", "公安")
    assert unknown.returncode == 1 and "公安局" in unknown.stderr and "Traceback" not in unknown.stderr
    output = run_cli("explain", "policies/yima-2020.rule", ledger, "--unit", "公安局", "--output", "积份")
    assert output.returncode == 1 and "积分" in output.stderr
    period = run_cli("explain", "policies/yima-2020.rule", ledger, "--unit", "公安局", "--period", "2020Q5")
    assert period.returncode == 1 and "2018Q2" in period.stderr


@pytest.mark.parametrize("name", SEEDS)
def test_eval_explain_writes_a_trace_per_unit(name):
    policy, ledger = f"policies/{SEED_POLICIES[name]}", str(DATA / name / "ledger.csv")
    result = run_cli("eval", policy, ledger, "--format", "json", "--explain")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for unit in data["units"]:
        labels = [n["label"] for n in unit["trace"]]
        assert labels[-1].startswith("未计分的行")
        assert len(labels) >= len(unit["results"])
    plain = run_cli("eval", policy, ledger, "--format", "json")
    assert "trace" not in plain.stdout
    assert [u["results"] for u in json.loads(plain.stdout)["units"]] == [u["results"] for u in data["units"]]



@settings(max_examples=20, deadline=None)
@given(st.data())
def test_traces_add_up_and_account_for_rows_for_any_part_of_a_ledger(data):
    """Drop any rows of an example ledger: every trace still redoes its outputs and every row of the
    unit is either cited or listed as scoring nothing."""
    from govrule.runtime.evaluate import Evaluation
    from govrule.runtime.trace import explain

    name = data.draw(st.sampled_from(SEEDS))
    compiled, results = scored_example(name)
    ev = results.evaluation
    unit = data.draw(st.sampled_from([u.unit for u in results.units]))
    own = ev.rows_by_unit.get(unit, [])
    keep = data.draw(st.lists(st.booleans(), min_size=len(own), max_size=len(own)))
    dropped = {id(r) for r, k in zip(own, keep) if not k}
    again = Evaluation(compiled.plan, [r for r in ev.rows if id(r) not in dropped], ev.period)
    nodes = explain(again, unit, source=compiled.source)
    for node in nodes[:-1]:
        redo(node, compiled.plan)
    cited = {id(r) for n in nodes[:-1] for r in n.cited_rows() if r.unit == unit}
    unscored = {id(c.row) for c in nodes[-1].children}
    assert not cited & unscored
    assert cited | unscored == {id(r) for r in again.rows_by_unit.get(unit, [])}


def test_readme_example_is_what_explain_prints():
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "$ govrule explain policies/jiande-2018.rule tests/data/jiande/ledger.csv --unit 寿昌镇 --period 2018Q2\n"
    shown = readme[readme.index(command) + len(command):]
    shown = shown[:shown.index("```")]
    result = run_cli(*command[2:].split()[1:])
    assert result.returncode == 0, result.stderr
    assert result.stdout == shown


def test_indicator_limits_show_the_value_before_and_after():
    from govrule.runtime.trace import explain

    compiled, results = scored_example("shuozhou")
    for unit in _sample_units(results):
        node = explain(results.evaluation, unit, ["组织领导"], source=compiled.source)[0]
        assert node.op == "clamp"
        before = node.operands()[0].value
        assert f"限定前{before}" in node.extra["formula"] and f"限定后{node.value}" in node.extra["formula"]
        assert node.value == min(max(before, 0), 16)


def test_plain_eval_does_not_build_or_import_traces():
    code = ("import sys; from govrule.cli.main import main\n"
            "try:\n main(['eval', 'policies/yima-2020.rule', sys.argv[1], '--format', 'json'])\n"
            "except SystemExit: pass\n"
            "print('TRACE' if 'govrule.runtime.trace' in sys.modules else 'NO TRACE', file=sys.stderr)")
    import subprocess
    import sys

    from conftest import ROOT

    done = subprocess.run([sys.executable, "-c", code, str(DATA / "yima" / "ledger.csv")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.stderr.strip().endswith("NO TRACE"), done.stderr
