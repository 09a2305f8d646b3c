"""The evaluation groups rows into buckets and scores them in bulk: it must give what row-by-row
scoring gives. Ties that only ledger order can break, notices in ledger order, per-row
contributions that add up to the values, and a plain evaluation that makes no per-row objects."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, SEED_POLICIES, compile_text, compiled_seed, results_by_unit, scored_example, write_ledger


def compiled_ok(text: str):
    compiled = compile_text(text)
    assert compiled.ok, [f"{d.code} {d.message}" for d in compiled.diagnostics.items]
    return compiled


def evaluate(text: str, *ledgers):
    from govrule.runtime.run import evaluate_ledger

    result = evaluate_ledger(compiled_ok(text).plan, list(ledgers))
    assert result.rejected == [], [str(r) for r in result.rejected]
    return result


def adopt(day: str, unit: str, item: str, publication: str, **cells) -> dict:
    return {"日期": day, "单位": unit, "事项": "采用", "信息编号": item, "刊物": publication, "级别": "县", **cells}


COMBINED = """标题：测试
考核期：2018年
【刊物】
甲刊：县
乙刊：县
丙刊：县
【单位组】
甲组：甲局
【计分：采用分】
被《甲刊》录用的，每条计4分
被《乙刊》录用的，每条计4分
被《丙刊》录用的，每条计2分
同一信息被多处录用的，{mode}
【结果】
分：采用分
季度分（按季）：采用分
"""


def kept_rows(result) -> list[tuple[str, int]]:
    return [(c.row.file.rsplit("/", 1)[-1], c.row.row) for c in result.evaluation.matches["采用分"] if c.kept]


def test_highest_score_ties_go_to_the_earlier_date_then_the_earlier_place_in_the_ledger(tmp_path):
    text = COMBINED.format(mode="只计一次最高分")
    first = write_ledger(tmp_path / "a.csv", [adopt("2018-03-05", "甲局", "A1", "丙刊"),
                                              adopt("2018-03-05", "甲局", "A1", "乙刊"),
                                              adopt("2018-05-01", "甲局", "B1", "甲刊")])
    second = write_ledger(tmp_path / "b.csv", [adopt("2018-03-05", "甲局", "A1", "丙刊"),
                                               adopt("2018-03-05", "甲局", "A1", "甲刊"),   # same date and row as a.csv:3
                                               adopt("2018-04-01", "甲局", "B1", "乙刊")])  # earlier than a.csv:4
    result = evaluate(text, first, second)
    assert kept_rows(result) == [("a.csv", 3), ("b.csv", 4)]
    assert results_by_unit(result)["甲局"]["分"] == 8
    assert results_by_unit(result)["甲局"]["季度分"] == {"2018Q1": 4, "2018Q2": 4, "2018Q3": 0, "2018Q4": 0}
    # the other order of the files keeps the other file's row of the tie
    assert kept_rows(evaluate(text, second, first)) == [("b.csv", 3), ("b.csv", 4)]


def test_only_once_keeps_the_earliest_row_whatever_its_score(tmp_path):
    text = COMBINED.format(mode="只计一次")
    first = write_ledger(tmp_path / "a.csv", [adopt("2018-02-05", "甲局", "B1", "甲刊"),
                                              adopt("2018-03-05", "甲局", "A1", "丙刊"),
                                              adopt("2018-02-01", "甲局", "B1", "丙刊")])
    # same date as a.csv:3, and an earlier row number, but a.csv comes first in the ledger
    second = write_ledger(tmp_path / "b.csv", [adopt("2018-03-05", "甲局", "A1", "甲刊"),
                                               adopt("2018-03-05", "甲局", "B1", "甲刊")])
    result = evaluate(text, first, second)
    assert kept_rows(result) == [("a.csv", 3), ("a.csv", 4)]
    assert results_by_unit(result)["甲局"]["分"] == 4
    assert kept_rows(evaluate(text, second, first)) == [("b.csv", 2), ("a.csv", 4)]


def test_a_row_without_an_item_is_an_item_of_its_own(tmp_path):
    text = COMBINED.format(mode="只计一次最高分").replace("【单位组】", "【事项】直报\n【单位组】").replace(
        "被《丙刊》录用的，每条计2分", "被《丙刊》录用的，每条计2分\n直报，每条计1分")
    rows = [{"日期": "2018-03-05", "单位": "甲局", "事项": "直报"}] * 3 + [adopt("2018-03-05", "甲局", "A1", "甲刊")]
    result = evaluate(text, write_ledger(tmp_path / "a.csv", rows))
    assert results_by_unit(result)["甲局"]["分"] == 7


REVIEWED = """标题：测试
考核期：2018年
【事项】约稿
【单位组】
甲组：甲局、乙局
【计分：约稿分】
约稿，按分值计分，最高10分
【结果】
分：约稿分
"""


def test_notices_come_in_ledger_order_across_files(tmp_path):
    def draft(unit, points=""):
        return {"日期": "2018-03-01", "单位": unit, "事项": "约稿", "分值": points}

    first = write_ledger(tmp_path / "a.csv", [draft("乙局", "12"), draft("甲局"), draft("甲局", "5"), draft("乙局")])
    second = write_ledger(tmp_path / "b.csv", [draft("甲局", "11"), draft("乙局", "12")])
    result = evaluate(REVIEWED, first, second)
    where = [n.split(":分值")[0].rsplit("/", 1)[-1] for n in result.notices]
    assert where == ["a.csv:2", "a.csv:3", "a.csv:5", "b.csv:2", "b.csv:3"]
    assert results_by_unit(result) == {"甲局": {"分": 15}, "乙局": {"分": 20}}


def test_equal_amounts_in_separate_objects_score_alike(tmp_path):
    """Buckets split rows by the identity of their 数量; equal amounts in different objects must
    still add up the same."""
    from govrule.runtime.evaluate import Evaluation

    compiled = compiled_ok(COMBINED.format(mode="累计计分"))
    result = evaluate(COMBINED.format(mode="累计计分"), write_ledger(tmp_path / "a.csv", [
        adopt("2018-03-05", "甲局", "A1", "甲刊", 数量="2"), adopt("2018-03-06", "甲局", "A2", "甲刊", 数量="2"),
        adopt("2018-03-07", "甲局", "A3", "丙刊")]))
    rows = result.evaluation.rows
    for r in rows:
        r.count = Fraction(r.count.numerator, r.count.denominator)      # a fresh object per row
    again = Evaluation(compiled.plan, rows, result.evaluation.period)
    assert again.output("分", "甲局") == result.evaluation.output("分", "甲局") == 18


@pytest.mark.parametrize("name", sorted(SEED_POLICIES))
def test_a_plain_evaluation_makes_no_per_row_contributions(name):
    from govrule.runtime.run import evaluate_ledger

    results = evaluate_ledger(compiled_seed(name).plan, [DATA / name / "ledger.csv"])
    assert results.evaluation._matches is None        # only a trace or a test asks for them


@pytest.mark.parametrize("name", sorted(SEED_POLICIES))
def test_contributions_add_up_to_every_block_value_in_every_period(name):
    from govrule.runtime.periods import subdivide

    compiled, results = scored_example(name)
    ev = results.evaluation
    periods = [ev.period, *subdivide(ev.period, "quarter"), *subdivide(ev.period, "month")]
    for block in compiled.plan.blocks:
        for unit in compiled.plan.policy.units:
            contributions = ev.contributions(block, unit.name)
            for period in periods:
                total = sum((c.points for c in contributions if c.kept and period.start <= c.when <= period.end),
                            Fraction(0))
                assert total == ev.block_value(block, unit.name, period), (block, unit.name, period.label)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(SEED_POLICIES)), min_amount=st.sampled_from([None, 1, 2, 3]),
       min_length=st.sampled_from([None, 0, 500, 1500, 3000]),
       date_from=st.sampled_from([None, "2018-03-01", "2020-07-01", "2022-07-01", "2023-05-01"]),
       date_until=st.sampled_from([None, "2018-06-30", "2020-09-30", "2022-06-30", "2023-10-31"]),
       conditions=st.lists(st.tuples(st.booleans(), st.sampled_from(["采用", "批示", "报送"])), max_size=2))
def test_a_mask_asks_of_a_column_what_a_row_match_asks_of_each_row(name, min_amount, min_length, date_from,
                                                                     date_until, conditions):
    """Amounts, 字数 (a blank one is no length), date windows and 有…的 conditions, asked of a bucket's
    columns at once, answer as they do row by row, read as ledger.md reads a row."""
    from datetime import date

    from govrule.compiler import ir

    _, results = scored_example(name)
    ev = results.evaluation
    pattern = ir.RowPattern(
        min_amount=None if min_amount is None else Fraction(min_amount), min_length=min_length,
        date_from=None if date_from is None else date.fromisoformat(date_from),
        date_until=None if date_until is None else date.fromisoformat(date_until),
        item_conditions=tuple(ir.ItemCondition(exists, ir.RowPattern(events=frozenset({event})))
                              for exists, event in conditions))
    def reading(index: int) -> bool:         # ledger.md, row by row
        row = ev.ledger.row(index)
        return ((min_amount is None or row.count >= min_amount)
                and (min_length is None or (row.length is not None and row.length >= min_length))
                and (pattern.date_from is None or row.date >= pattern.date_from)
                and (pattern.date_until is None or row.date <= pattern.date_until)
                and all((bool(row.item) and row.item in ev._items_with(c.pattern)) == c.exists
                        for c in pattern.item_conditions))

    for _, rows in ev._buckets:
        mask = ev._mask(pattern, rows)
        assert (mask if mask is not None else [True] * len(rows)) == [ev._row_match(pattern, i) for i in rows.indices]
        assert (mask if mask is not None else [True] * len(rows)) == list(map(reading, rows.indices))
    assert any(length is None for length in ev.ledger.lengths)       # blank 字数 are among the rows


@given(st.lists(st.integers(min_value=0, max_value=30), max_size=40))
def test_gathering_a_column_takes_each_index_in_order(indices):
    from govrule.runtime.evaluate import _gather

    column = [f"信息{i}" for i in range(31)]
    assert list(_gather(column, sorted(indices))) == [column[i] for i in sorted(indices)]
    assert list(_gather(column, indices)) == [column[i] for i in indices]


@st.composite
def _combining(draw):
    """Rows with dates and items (some blank), and pieces of them with a base each, for 取最高 or 只计一次."""
    from datetime import date, timedelta

    size = draw(st.integers(1, 14))
    dates = [date(2020, 1, 1) + timedelta(days=draw(st.integers(0, 3))) for _ in range(size)]
    items = [draw(st.sampled_from(["", "A", "B", "C"])) for _ in range(size)]
    pieces = []
    for _ in range(draw(st.integers(0, 6))):
        rows = draw(st.lists(st.integers(0, size - 1), unique=True, min_size=1, max_size=size))
        if draw(st.booleans()):
            rows.sort()              # an escalated piece's rows are in date order, others in ledger order
        pieces.append((rows, Fraction(draw(st.sampled_from([0, 1, 2, 4, -1])))))
    return dates, items, draw(st.sampled_from(["max", "once"])), pieces


@settings(max_examples=400, deadline=None)
@given(_combining())
def test_item_combination_keeps_each_items_best_row(case):
    """取最高 keeps an item's row with the highest base, then the earliest date, then the earliest place
    in the ledger; 只计一次 the earliest; a row without an item is an item of its own."""
    from types import SimpleNamespace

    from govrule.runtime.evaluate import Evaluation, _Piece, _Rows

    dates, items, mode, pieces = case
    ledger = SimpleNamespace(dates=dates, items=items)
    made = [_Piece(SimpleNamespace(), _Rows(list(rows), ledger), base) for rows, base in pieces]
    combined = Evaluation._combine_items(SimpleNamespace(ledger=ledger), SimpleNamespace(item_mode=mode), made)

    best = {}
    for order, (rows, base) in enumerate(pieces):
        for index in rows:
            rank = (-base if mode == "max" else 0, dates[index], index, order)
            key = items[index] or ~index
            best[key] = min(best.get(key, rank), rank)
    winners = {(order, index) for _, _, index, order in best.values()}
    expected = []
    for order, (rows, base) in enumerate(pieces):
        kept = [index for index in rows if (order, index) in winners]
        dropped = [index for index in rows if (order, index) not in winners]
        expected += [(order, kept, True)] * bool(kept) + [(order, dropped, False)] * bool(dropped)
    run_order = {id(piece.run): order for order, piece in enumerate(made)}
    assert [(run_order[id(p.run)], p.rows.indices, p.kept) for p in combined] == expected
    for piece in combined:
        assert list(piece.rows.items) == [items[i] for i in piece.rows.indices]
