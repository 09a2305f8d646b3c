"""Shared helpers: the repo's paths, compiling policy text, scoring small ledgers."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def yima_plan():
    from govrule.compiler.pipeline import compile_file

    return compile_file(POLICIES / "yima-2020.rule").plan


@pytest.fixture(scope="session")
def fengqiu_plan():
    from govrule.compiler.pipeline import compile_file

    return compile_file(POLICIES / "fengqiu.rule").plan


@pytest.fixture(scope="session")
def jiande_plan():
    from govrule.compiler.pipeline import compile_file

    return compile_file(POLICIES / "jiande-2018.rule").plan


@pytest.fixture(scope="session")
def cixi_plan():
    from govrule.compiler.pipeline import compile_file

    return compile_file(POLICIES / "cixi.rule").plan


@pytest.fixture(scope="session")
def shuozhou_plan():
    from govrule.compiler.pipeline import compile_file

    return compile_file(POLICIES / "shuozhou-2022.rule").plan


def expected(name: str) -> dict:
    return json.loads((DATA / name / "expected.json").read_text(encoding="utf-8"))
