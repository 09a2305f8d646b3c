"""Time the phases of one `govrule eval` in-process: where a ledger's seconds go.

Usage: python bench/phases.py POLICY LEDGER [--no-gc]

Prints compile, read (runtime/ledger.py), match (bucketing rows, choosing clauses), outputs (every
unit's results), accounting (which rows were used), each as runtime/run.py does it (with the
garbage collector paused from the read on), the full garbage collections
each phase triggered, and the page faults it took (each costs the system a few microseconds:
memory touched for the first time). --no-gc turns the collector off first, to show what it costs.
"""
from __future__ import annotations

import argparse
import gc
import resource
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
    times: list[tuple[str, float, int, int]] = []
    clock = time.perf_counter()

    def faults() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        times.append((name, now - clock, sum(s["collections"] for s in gc.get_stats()[2:]), faults()))
        clock = now

    start_faults = faults()

    from govrule.compiler.pipeline import compile_file
    from govrule.runtime.collector import collector_paused
    from govrule.runtime.evaluate import Evaluation
    from govrule.runtime.ledger import read_ledger
    from govrule.runtime.run import assessment_period
    lap("imports")
    plan = compile_file(args.policy).plan
    lap("compile")
    period = assessment_period(plan)
    with collector_paused():            # as runtime/run.py does
        ledger = read_ledger([args.ledger], plan, (period.start, period.end))
        lap("read")
        evaluation = Evaluation(plan, ledger.rows, period)
        lap("match")
        for unit in plan.policy.units:
            for output in plan.policy.outputs:
                evaluation.output(output.name, unit.name)
        lap("outputs")
        unmatched = [ledger.rows.row(i) for i in sorted(evaluation.unrecognized())]
        lap("accounting")
    total = sum(lap[1] for lap in times)
    print(f"{len(ledger.rows)} rows, {len(ledger.rows) - len(unmatched)} counted, {len(unmatched)} unmatched, "
          f"{total:.2f} s")
    previous, touched = 0, start_faults
    for name, seconds, full, faulted in times:
        print(f"  {name:<11} {seconds:7.3f} s  {seconds / total:6.1%}  full collections {full - previous}"
              f"  page faults {faulted - touched}")
        previous, touched = full, faulted
    return 0


if __name__ == "__main__":
    sys.exit(main())
