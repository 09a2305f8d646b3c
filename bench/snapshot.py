"""Write everything an evaluation decides, exactly, so that two versions of the runtime can be compared.

Usage: python bench/snapshot.py POLICY LEDGER [--explain] > snapshot.json

Every unit's results as exact fractions ("7/3"), which rows were counted and which unmatched (by
file:row, in order), the notices, and with --explain every unit's full trace. Two snapshots of the
same policy and ledger are identical exactly when the results, the row accounting and the traces are.
"""
from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction

from govrule.cli.trace_view import trace_json
from govrule.compiler.pipeline import compile_file
from govrule.runtime.run import evaluate_ledger
from govrule.runtime.trace import explain


def exact(value):
    """Fractions as "p/q" strings, so that nothing is rounded; dicts per period kept."""
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, Fraction):
        return str(value)
    return value


def snapshot(policy: str, ledger: str, traces: bool) -> dict:
    compiled = compile_file(policy)
    results = evaluate_ledger(compiled.plan, [ledger])
    data = {
        "units": {u.unit: {k: exact(v) for k, v in u.results.items()} for u in results.units},
        "counted": [f"{r.file}:{r.row}" for r in results.counted],
        "unmatched": [f"{r.file}:{r.row}" for r in results.unmatched],
        "rejected": [str(r) for r in results.rejected],
        "notices": results.notices,
    }
    if traces:
        data["traces"] = {u.unit: [trace_json(n) for n in explain(results.evaluation, u.unit,
                                                                  source=compiled.source)]
                          for u in results.units}
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("policy")
    parser.add_argument("ledger")
    parser.add_argument("--explain", action="store_true", help="include every unit's trace")
    args = parser.parse_args(argv)
    json.dump(snapshot(args.policy, args.ledger, args.explain), sys.stdout, ensure_ascii=False, indent=0,
              sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
