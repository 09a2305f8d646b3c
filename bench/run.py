"""Benchmark `govrule eval` against a plain csv read of the same ledger.

Usage: python bench/run.py [--sizes 10000,100000,1000000] [--policies fengqiu,...] [--seed 1]
                           [--workdir DIR] [--examples DIR] [--repeat N] [--explain]

govrule's modules are compiled to bytecode first, as an installed package has them. Evals use a
plan cache of their own in the work folder, filled by one untimed run first, as a user's repeated
runs would find it; a cold start (no cache) is timed separately at the smallest
size, and the largest size is timed again in one process (GOVRULE_WORKERS=1). The floor and
govrule take turns, so that a machine that speeds up or slows down during the runs weighs on
both sides of the ratio alike.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from generate import EXAMPLES, ROOT, example_path, generate
from measure import Run, best_of, best_of_each, run_once

GOVRULE = [sys.executable, "-m", "govrule.cli.main"]  # the interpreter running us, not whatever is on PATH
EVAL_OK = (0, 2)  # eval exits 2 when rows are rejected; the timing is still valid
# The floor: read every row with the csv module and nothing else.
FLOOR = ("import csv, sys\n"
         "with open(sys.argv[1], encoding='utf-8', newline='') as f:\n"
         "    for _ in csv.reader(f):\n"
         "        pass\n")
SUMMARY = re.compile(r"计分\s*(\d+)\s*行.*?未匹配\s*(\d+)\s*行.*?拒绝\s*(\d+)\s*行")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="govrule benchmark")
    p.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated row counts")
    p.add_argument("--policies", default=",".join(EXAMPLES), help="comma-separated policy names")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", type=Path, help="where generated ledgers are cached (default: a temp dir)")
    p.add_argument("--examples", type=Path, help="folder holding <name>/ledger.csv (default ../shared/examples)")
    p.add_argument("--repeat", type=int, default=1, help="take the best of N runs")
    p.add_argument("--explain", action="store_true", help="also time eval --explain at the smallest size")
    args = p.parse_args(argv)
    args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    args.policies = [s.strip() for s in args.policies.split(",") if s.strip()]
    unknown = [name for name in args.policies if name not in EXAMPLES]
    if unknown:
        p.error(f"unknown policies {unknown}; known: {', '.join(EXAMPLES)}")
    return args


def ledger_for(policy: str, size: int, args: argparse.Namespace, workdir: Path) -> Path:
    """Generate once per (policy, size, seed); a finished file is reused on later runs."""
    path = workdir / f"{policy}-{size}-seed{args.seed}.csv"
    if not path.exists():
        partial = path.with_suffix(".part")  # an interrupted run must not leave a short ledger behind
        generate(example_path(policy, args.examples), size, partial, args.seed)
        partial.replace(path)
    return path


def rejected_note(run: Run) -> str:
    """The rejected count from eval's last stderr line, or '?' when that line is missing."""
    lines = run.stderr.strip().splitlines()
    match = SUMMARY.search(lines[-1]) if lines else None
    return match.group(3) if match else "?"


def failure(what: str, run: Run) -> str:
    tail = "\n".join(run.stderr.strip().splitlines()[-5:])
    return f"  FAILED {what}: exit {run.returncode}\n{tail}"


def bench_policy(policy: str, args: argparse.Namespace, workdir: Path) -> bool:
    rule = str(ROOT / "policies" / f"{policy}.rule")
    ok = True
    env = {"GOVRULE_CACHE_DIR": str(workdir / "plan-cache")}
    if args.sizes:      # fill the plan cache, untimed
        run_once([*GOVRULE, "eval", rule, str(ledger_for(policy, args.sizes[0], args, workdir)), "--format", "json"],
                 env=env)
    print(f"\n== {policy}")
    print(f"  {'rows':>9} {'rows/s':>10} {'floor s':>8} {'govrule s':>9} {'ratio':>6} {'peak MiB':>8} {'rejected':>8}")
    times: dict[int, float] = {}
    for size in args.sizes:
        ledger = str(ledger_for(policy, size, args, workdir))
        floor, run = best_of_each([([sys.executable, "-c", FLOOR, ledger], None),
                                   ([*GOVRULE, "eval", rule, ledger, "--format", "json"], env)], args.repeat)
        if floor.returncode != 0:
            print(failure(f"floor at {size}", floor))
            ok = False
        if run.returncode not in EVAL_OK:
            print(failure(f"eval at {size}", run))
            ok = False
            continue
        times[size] = run.seconds
        print(f"  {size:>9} {size / run.seconds:>10.0f} {floor.seconds:>8.3f} {run.seconds:>9.3f} "
              f"{run.seconds / floor.seconds:>6.1f} {run.peak_mib:>8.1f} {rejected_note(run):>8}")
    extra = []
    if args.sizes:
        smallest, largest = (str(ledger_for(policy, size, args, workdir)) for size in (args.sizes[0], args.sizes[-1]))
        extra += [(f"eval at {args.sizes[0]} without the plan cache", [*GOVRULE, "eval", rule, smallest, "--format", "json"],
                   {"GOVRULE_NO_CACHE": "1"}),
                  (f"eval at {args.sizes[-1]} in one process", [*GOVRULE, "eval", rule, largest, "--format", "json"],
                   {**env, "GOVRULE_WORKERS": "1"})]
    for what, argv, more in extra:
        run = best_of(argv, args.repeat, env=more)
        if run.returncode not in EVAL_OK:
            print(failure(what, run))
            ok = False
        else:
            print(f"  {what}: {run.seconds:.3f} s, peak {run.peak_mib:.1f} MiB")
    for what, argv in (("check", [*GOVRULE, "check", rule]), ("--help", [*GOVRULE, "--help"])):
        run = best_of(argv, args.repeat)
        if run.returncode != 0:
            print(failure(what, run))
            ok = False
        else:
            print(f"  {what}: {run.seconds:.3f} s, peak {run.peak_mib:.1f} MiB")
    if args.explain and args.sizes:
        size = args.sizes[0]  # traces grow fast, so only the smallest size
        ledger = str(ledger_for(policy, size, args, workdir))
        run = best_of([*GOVRULE, "eval", rule, ledger, "--format", "json", "--explain"], args.repeat, env=env)
        if run.returncode not in EVAL_OK:
            print(failure(f"eval --explain at {size}", run))
            ok = False
        else:
            extra = f", {run.seconds / times[size]:.1f}× plain eval" if size in times else ""
            print(f"  eval --explain at {size}: {run.seconds:.3f} s, peak {run.peak_mib:.1f} MiB{extra}")
    # how time grows with size: ~10 for a tenfold size means linear
    done = sorted(times)
    for small, big in zip(done, done[1:]):
        print(f"  time ratio {big}/{small} rows: {times[big] / times[small]:.2f} (size ×{big / small:g})")
    return ok


def compile_bytecode() -> None:
    """Compile govrule's modules first, untimed, as an installed package has them: where bytecode
    is never written (PYTHONDONTWRITEBYTECODE), every run would otherwise compile them again."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("govrule")
    for folder in spec.submodule_search_locations or ():
        compileall.compile_dir(folder, quiet=2, rx=re.compile(r"[\\/](tests|bench|\.ci)[\\/]"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="govrule-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        print(f"python {sys.version.split()[0]}, seed {args.seed}, repeat {args.repeat}, workdir {workdir}")
        ok = all([bench_policy(policy, args, workdir) for policy in args.policies])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
