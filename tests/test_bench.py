"""The benchmark runs, and its generated ledgers are deterministic and fully accepted by eval."""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, ROOT, run_cli

POLICIES = {"yima-2020": "yima", "fengqiu": "fengqiu", "jiande-2018": "jiande", "cixi": "cixi",
            "shuozhou-2022": "shuozhou"}


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT)


def generate(tmp_path: Path, policy: str, rows: int, seed: int, name: str) -> Path:
    out = tmp_path / name
    done = bench("bench/generate.py", policy, str(rows), str(out), "--seed", str(seed),
                 "--examples", str(DATA))
    assert done.returncode == 0, done.stderr
    return out


def test_examples_for_every_policy_are_in_tests_data():
    for folder in POLICIES.values():
        assert (DATA / folder / "ledger.csv").is_file()


def test_run_prints_rows_per_second_and_ratio(tmp_path):
    done = bench("bench/run.py", "--sizes", "200", "--policies", "yima-2020", "--workdir", str(tmp_path),
                 "--examples", "tests/data")
    assert done.returncode == 0, done.stdout + done.stderr
    # size, rows/s, floor s, govrule s, ratio, peak MiB
    row = re.search(r"^\s*200\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", done.stdout, re.M)
    assert row, done.stdout
    assert int(row.group(1)) > 0 and float(row.group(4)) > 0
    assert "rows/s" in done.stdout and "ratio" in done.stdout
    assert "check:" in done.stdout and "--help:" in done.stdout
    assert "without the plan cache:" in done.stdout and "in one process:" in done.stdout


def test_the_floor_and_govrule_take_turns(tmp_path):
    """Timed runs alternate, so that a machine speeding up or slowing down weighs on both sides of
    the ratio alike; a command that fails is not run again."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from measure import best_of_each
    finally:
        sys.path.remove(str(ROOT / "bench"))
    log = tmp_path / "order"

    def command(mark: str, code: int = 0) -> list[str]:
        return [sys.executable, "-c", f"import sys; open({str(log)!r}, 'a').write({mark!r}); sys.exit({code})"]

    runs = best_of_each([(command("a"), None), (command("b"), None), (command("x", 3), None)], repeat=3)
    assert log.read_text() == "abxabab"
    assert [r.returncode for r in runs] == [0, 0, 3]


def test_generator_is_deterministic(tmp_path):
    a = generate(tmp_path, "yima-2020", 500, 1, "a.csv")
    b = generate(tmp_path, "yima-2020", 500, 1, "b.csv")
    c = generate(tmp_path, "yima-2020", 500, 2, "c.csv")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_every_generated_row_is_accepted(tmp_path, policy):
    ledger = generate(tmp_path, policy, 1500, 7, "ledger.csv")
    with open(ledger, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1500
    # an item's adoptions and instructions still point at its own submission
    submitted = {r["信息编号"] for r in rows if r["事项"] == "报送"}
    assert all(r["信息编号"] in submitted for r in rows if r["信息编号"])
    done = run_cli("eval", f"policies/{policy}.rule", str(ledger), "--format", "json")
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)["rows"]
    assert counts["rejected"] == 0
    assert counts["counted"] + counts["unmatched"] == len(rows)
