"""A progress bar on stderr while a long ledger is read, and only when stderr is a terminal."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

SHOW_FROM_ROWS = 50_000       # shorter ledgers are read before a bar would be seen
BYTES_PER_XLSX_ROW = 40       # a compressed worksheet row, roughly


@contextlib.contextmanager
def ledger_progress(paths):
    """Yields a callable that takes rows read since its last call, or None when no bar is shown."""
    total = _estimated_rows(paths) if sys.stderr.isatty() else 0
    if total < SHOW_FROM_ROWS:
        yield None
        return
    with click.progressbar(length=total, label="读取台账", file=sys.stderr, show_pos=True) as bar:
        def advance(rows: int) -> None:
            bar.update(min(rows, max(total - bar.pos, 0)))
        yield advance
    click.echo("计分中……", err=True)


def _estimated_rows(paths) -> int:
    total = 0
    for path in map(Path, paths):
        try:
            if path.suffix.lower() in (".xlsx", ".xlsm"):
                total += path.stat().st_size // BYTES_PER_XLSX_ROW
            else:
                with open(path, "rb") as file:
                    total += sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))
        except OSError:
            pass                  # the reader reports it properly
    return total
