"""Generate a large ledger for a seed policy by resampling its worked example.

Usage: python bench/generate.py POLICY ROWS OUT [--seed N] [--examples DIR | --example CSV]

Whole items (all rows sharing one 信息编号) are drawn with replacement and given a fresh
信息编号, so every 采用/批示 row still points at a 报送 of the same item. Rows without an
信息编号 (violations, bonuses, 直报 …) are drawn one by one. Dates, units, publications and levels
are copied unchanged, so a generated row is valid whenever the example's row is.
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# policy file stem -> folder of its worked example (both ../shared/examples and tests/data use it)
EXAMPLES = {
    "yima-2020": "yima",
    "fengqiu": "fengqiu",
    "jiande-2018": "jiande",
    "cixi": "cixi",
    "shuozhou-2022": "shuozhou",
}

ITEM_COLUMNS = ("信息编号", "item")  # the spec accepts the English alias too


def default_examples_dir() -> Path:
    """../shared/examples beside the repo; the test copies in tests/data are the same files."""
    shared = ROOT.parent / "shared" / "examples"
    return shared if shared.is_dir() else ROOT / "tests" / "data"


def example_path(policy: str, examples_dir: Path | None = None) -> Path:
    if policy not in EXAMPLES:
        raise SystemExit(f"unknown policy {policy!r}; known: {', '.join(EXAMPLES)}")
    return (examples_dir or default_examples_dir()) / EXAMPLES[policy] / "ledger.csv"


def load_groups(example: Path) -> tuple[list[str], int | None, list[list[list[str]]]]:
    """Header, index of the item column, and the example's rows grouped into units to resample."""
    with open(example, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        item = next((header.index(c) for c in ITEM_COLUMNS if c in header), None)
        items: dict[str, list[list[str]]] = {}  # insertion-ordered, so the groups' order is fixed
        loose: list[list[list[str]]] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            key = row[item].strip() if item is not None and item < len(row) else ""
            if key:
                items.setdefault(key, []).append(row)
            else:
                loose.append([row])
    return header, item, list(items.values()) + loose


def generate(example: Path, rows: int, out: Path, seed: int = 1) -> int:
    """Write `rows` rows (plus the header) to `out`; return the number of data rows written."""
    header, item, groups = load_groups(example)
    if not groups:
        raise SystemExit(f"{example}: no rows to resample")
    singles = [g for g in groups if len(g) == 1]  # fill the tail exactly without splitting an item
    rng = random.Random(seed)
    written = next_id = 0
    with open(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        while written < rows:
            group = rng.choice(groups)
            if len(group) > rows - written and singles:
                group = rng.choice(singles)
            fresh = None
            if item is not None and group[0][item].strip():
                next_id += 1
                fresh = f"X{next_id:07d}"
            for row in group:  # rows are streamed; only the small example stays in memory
                if fresh is not None:
                    row = row[:item] + [fresh] + row[item + 1:]
                writer.writerow(row)
            written += len(group)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("policy", choices=sorted(EXAMPLES))
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--examples", type=Path, help="folder holding <name>/ledger.csv")
    source.add_argument("--example", type=Path, help="the example ledger itself")
    args = parser.parse_args(argv)
    example = args.example or example_path(args.policy, args.examples)
    n = generate(example, args.rows, args.out, args.seed)
    print(f"{args.out}: {n} rows from {example}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
