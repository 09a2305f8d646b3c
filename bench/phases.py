"""Time the phases of one `govrule eval` in-process: where a ledger's seconds go.

Usage: python bench/phases.py POLICY LEDGER [--no-gc]

Prints compile, read (runtime/ledger.py), match (bucketing rows, choosing clauses), outputs (every
unit's results), accounting (which rows were used, as run.py does it) and the garbage collections
each phase triggered. --no-gc turns the collector off first, to show what it costs.
"""
from __future__ import annotations

import argparse
import gc
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("policy")
    parser.add_argument("ledger")
    parser.add_argument("--no-gc", action="store_true", help="disable the garbage collector first")
    args = parser.parse_args(argv)
    if args.no_gc:
        gc.disable()
    times: list[tuple[str, float, int]] = []
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        times.append((name, now - clock, sum(s["collections"] for s in gc.get_stats()[2:])))
        clock = now

    from govrule.compiler.pipeline import compile_file
    from govrule.runtime.evaluate import Evaluation
    from govrule.runtime.ledger import read_ledger
    from govrule.runtime.run import assessment_period
    lap("imports")
    plan = compile_file(args.policy).plan
    lap("compile")
    period = assessment_period(plan)
    ledger = read_ledger([args.ledger], plan, (period.start, period.end))
    lap("read")
    evaluation = Evaluation(plan, ledger.rows, period)
    lap("match")
    for unit in plan.policy.units:
        for output in plan.policy.outputs:
            evaluation.output(output.name, unit.name)
    lap("outputs")
    unmatched = [ledger.rows.row(i) for i in sorted(evaluation.unrecognized())]   # as runtime/run.py does
    lap("accounting")
    total = sum(seconds for _, seconds, _ in times)
    print(f"{len(ledger.rows)} rows, {len(ledger.rows) - len(unmatched)} counted, {len(unmatched)} unmatched, "
          f"{total:.2f} s")
    previous = 0
    for name, seconds, full in times:
        print(f"  {name:<11} {seconds:7.3f} s  {seconds / total:6.1%}  full collections {full - previous}")
        previous = full
    return 0


if __name__ == "__main__":
    sys.exit(main())
