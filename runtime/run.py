"""The runtime's public entry: a plan and ledger files -> results for every unit."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from itertools import filterfalse

from govrule.compiler.lower import Plan

from .collector import collector_paused
from .evaluate import Evaluation, Value
from .ledger import Ledger, Rejection, read_ledger
from .rows import LedgerRows, Row
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
    rows: LedgerRows          # every row that was read and not rejected
    unmatched_at: list[int]   # the ledger index of every row no output counts, in ledger order
    rejected: list[Rejection]
    notices: list[str] = field(default_factory=list)
    evaluation: Evaluation | None = None

    @property
    def rows_counted(self) -> int:
        return len(self.rows) - len(self.unmatched_at)

    @cached_property
    def unmatched(self) -> list[Row]:
        """The unmatched rows as objects, in ledger order (made when first asked for: a listing that
        needs a few of their cells can read them from `rows` at `unmatched_at`)."""
        return self.rows.rows_at(self.unmatched_at)

    @property
    def counted(self) -> list[Row]:
        """The counted rows as objects, in ledger order (made on demand: a big ledger has millions)."""
        unused = set(self.unmatched_at)
        return self.rows.rows_at(list(filterfalse(unused.__contains__, range(len(self.rows)))))


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
    with collector_paused():
        ledger: Ledger = read_ledger(paths, plan, (period.start, period.end), sheet, progress)
        evaluation = Evaluation(plan, ledger.rows, period, parameters)
        units = []
        for unit in plan.policy.units:
            results = {d.name: evaluation.output(d.name, unit.name) for d in plan.policy.outputs}
            units.append(UnitResult(unit.name, unit.group, results))
        unmatched = sorted(evaluation.unrecognized())
    return Results(plan.policy.title, period, units, ledger.rows, unmatched, ledger.rejected,
                   ledger.notices + evaluation.notices, evaluation)

