"""Shared helpers: the repo's paths, compiling policy text, scoring small ledgers."""
from __future__ import annotations

import atexit
import csv
import functools
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# compiled plans are cached between runs (compiler/cache.py): the suite, and the CLI processes it
# starts, use a cache of their own rather than the user's
os.environ["GOVRULE_CACHE_DIR"] = tempfile.mkdtemp(prefix="govrule-test-cache-")
atexit.register(shutil.rmtree, os.environ["GOVRULE_CACHE_DIR"], ignore_errors=True)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
POLICIES = ROOT / "policies"
COLUMNS = ["日期", "单位", "事项", "信息编号", "刊物", "级别", "形式", "类别", "标记", "字数", "数量", "分值", "备注"]


def compile_text(text: str, file: str = "test.rule"):
    from govrule.compiler.pipeline import compile_source

    return compile_source(text, file)


def codes(compiled) -> list[str]:
    return [d.code for d in compiled.diagnostics.sorted()]


def write_ledger(path: Path, rows: list[dict], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def run_cli(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govrule.cli.main", *args], capture_output=True,
                          text=True, cwd=ROOT, check=check)


def results_by_unit(results) -> dict[str, dict]:
    return {u.unit: u.results for u in results.units}


# worked example -> its policy file
SEED_POLICIES = {"yima": "yima-2020.rule", "fengqiu": "fengqiu.rule", "jiande": "jiande-2018.rule",
                 "cixi": "cixi.rule", "shuozhou": "shuozhou-2022.rule"}


@functools.cache
def compiled_seed(name: str):
    from govrule.compiler.pipeline import compile_file

    return compile_file(POLICIES / SEED_POLICIES[name])


@functools.cache
def scored_example(name: str):
    """A seed policy and its results on its worked example, computed once per session."""
    from govrule.runtime.run import evaluate_ledger

    compiled = compiled_seed(name)
    return compiled, evaluate_ledger(compiled.plan, [DATA / name / "ledger.csv"])


def broken_copy(tmp_path: Path, name: str, old: str, new: str) -> tuple[Path, str]:
    """A seed policy with one passage changed, written to tmp_path; the text is returned too."""
    text = (POLICIES / SEED_POLICIES[name]).read_text(encoding="utf-8")
    broken = text.replace(old, new)
    assert broken != text, old
    path = tmp_path / "broken.rule"
    path.write_text(broken, encoding="utf-8")
    return path, broken


@pytest.fixture(scope="session")
def yima_plan():
    return compiled_seed("yima").plan


@pytest.fixture(scope="session")
def fengqiu_plan():
    return compiled_seed("fengqiu").plan


@pytest.fixture(scope="session")
def jiande_plan():
    return compiled_seed("jiande").plan


@pytest.fixture(scope="session")
def cixi_plan():
    return compiled_seed("cixi").plan


@pytest.fixture(scope="session")
def shuozhou_plan():
    return compiled_seed("shuozhou").plan


def expected(name: str) -> dict:
    return json.loads((DATA / name / "expected.json").read_text(encoding="utf-8"))
