"""The runtime's public entry: a plan and ledger files -> results for every unit."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from govrule.compiler.lower import Plan

from .evaluate import Evaluation, Value
from .ledger import Ledger, Rejection, Row, read_ledger
from .periods import Span, whole


@dataclass
class UnitResult:
    unit: str
    group: str
    results: dict[str, Value | dict[str, Value]]


@dataclass
class Results:
    title: str
    period: Span
    units: list[UnitResult]
    counted: list[Row]
    unmatched: list[Row]
    rejected: list[Rejection]
    notices: list[str] = field(default_factory=list)
    evaluation: Evaluation | None = None


def assessment_period(plan: Plan, year: int | None = None) -> Span:
    """The policy's period, or the given calendar year (--period) instead."""
    if year is not None:
        return whole(date(year, 1, 1), date(year, 12, 31))
    p = plan.policy.period
    return whole(date.fromisoformat(p.start), date.fromisoformat(p.end))


def evaluate_ledger(plan: Plan, paths, year: int | None = None, parameters=None, sheet: str | None = None,
                    progress=None) -> Results:
    """Read the ledgers, score every unit, and account for every row.
    `parameters` overrides declared parameters by name (--param); unknown names raise KeyError.
    `sheet` names the worksheet of .xlsx ledgers; `progress` is called with the number of rows read since its last call."""
    unknown = set(parameters or {}) - set(plan.parameters)
    if unknown:
        raise KeyError(sorted(unknown)[0])
    period = assessment_period(plan, year)
    ledger: Ledger = read_ledger(paths, plan, (period.start, period.end), sheet, progress)
    evaluation = Evaluation(plan, ledger.rows, period, parameters)
    units = []
    for unit in plan.policy.units:
        results = {d.name: evaluation.output(d.name, unit.name) for d in plan.policy.outputs}
        units.append(UnitResult(unit.name, unit.group, results))
    unused = evaluation.unrecognized()       # usually far fewer than the rows used
    counted = [r for r in ledger.rows if id(r) not in unused]
    unmatched = [r for r in ledger.rows if id(r) in unused]
    return Results(plan.policy.title, period, units, counted, unmatched, ledger.rejected,
                   ledger.notices + evaluation.notices, evaluation)

