"""Time one child process and read its own peak memory."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass


@dataclass
class Run:
    seconds: float
    peak_mib: float
    returncode: int
    stderr: str


def _mib(maxrss: int) -> float:
    # ru_maxrss is KiB on Linux but bytes on macOS
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def run_once(argv: list[str], cwd: str | None = None, env: dict | None = None) -> Run:
    """Run argv with stdout discarded; `env` adds to this process's environment.

    os.wait4 gives this child's own rusage; RUSAGE_CHILDREN would only give the maximum over all
    children so far. stderr goes to a temporary file, not a pipe, so a chatty child cannot block.
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd,
                                env={**os.environ, **env} if env else None)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; tell Popen so it won't wait again
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return Run(seconds, _mib(usage.ru_maxrss), proc.returncode, stderr)


def best_of(argv: list[str], repeat: int = 1, cwd: str | None = None, env: dict | None = None) -> Run:
    """The fastest of `repeat` runs; a failed run is returned at once so errors are not hidden."""
    return best_of_each([(argv, env)], repeat, cwd)[0]


def best_of_each(commands: list[tuple[list[str], dict | None]], repeat: int = 1, cwd: str | None = None) -> list[Run]:
    """The fastest run of each (argv, env), the commands taking turns: a machine that speeds up or
    slows down during the runs then weighs on all of them alike, so their ratio stays fair.
    A command that fails is not run again; its failed run is returned."""
    best: list[Run | None] = [None] * len(commands)
    for _ in range(max(1, repeat)):
        for i, (argv, env) in enumerate(commands):
            if best[i] is not None and best[i].returncode not in (0, 2):
                continue
            run = run_once(argv, cwd, env)
            if best[i] is None or run.returncode not in (0, 2) or run.seconds < best[i].seconds:
                best[i] = run
    return best
