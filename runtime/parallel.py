"""Work on several parts at once, one forked process per extra part.

A big ledger is read faster on a machine with more than one core when its file is cut into
stretches of lines and each is read by its own process. The parent reads the first part
itself while children read the others; each child sends back what it made, pickled, and the
parent takes the results in order. A child that fails sends nothing, and the parent does that
part itself, so the outcome never depends on whether the children worked; and whatever happens
in the parent, no child outlives its use.
"""
from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from contextlib import suppress


def workers() -> int:
    """How many processes may read at once: GOVRULE_WORKERS when set, else the cores this process
    may use; 1 where processes cannot be forked safely."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return 1              # macOS system libraries are not safe across fork; Windows has none
    if threading.active_count() > 1:
        return 1              # another thread may hold a lock that the child would inherit, held forever
    wanted = os.environ.get("GOVRULE_WORKERS", "")
    if wanted.isdigit() and int(wanted) > 0:     # anything else (0, words) is ignored
        return int(wanted)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def side_by_side(parts: list, work, own):
    """own(parts[0]) here while work(part) runs for every other part in a forked child.
    Yields (part, result of work or None where the child failed), in order, after own is done.
    However this ends (an error here, Ctrl-C), no child is left behind."""
    children = [_fork(part, work) for part in parts[1:]]
    try:
        own(parts[0])
        for index, part in enumerate(parts[1:]):
            child, children[index] = children[index], None
            yield part, _collect(child)
    finally:
        for child in children:
            if child is not None:
                _stop(child)


def _fork(part, work):
    try:
        readable, writable = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(readable)
        os.close(writable)
        return None
    if pid == 0:                                   # the child: work, send, and leave at once
        try:
            os.close(readable)
            try:
                data = pickle.dumps(work(part), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                data = b""                         # the parent will do this part itself
            with os.fdopen(writable, "wb") as pipe:
                pipe.write(data)
        finally:
            os._exit(0)                            # no cleanup: the parent owns everything else
    os.close(writable)
    return pid, readable


def _collect(child):
    if child is None:
        return None
    pid, readable = child
    try:
        with os.fdopen(readable, "rb") as pipe:
            data = pipe.read()
    finally:
        _reap(pid)
    try:
        return pickle.loads(data) if data else None
    except Exception:
        return None


def _stop(child) -> None:
    """A child whose result is no longer wanted: ended, its pipe closed, reaped."""
    pid, readable = child
    with suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with suppress(OSError):
        os.close(readable)
    _reap(pid)


def _reap(pid: int) -> None:
    # with SIGCHLD ignored (a setting a parent process can pass down), the system reaps children itself
    with suppress(ChildProcessError):
        os.waitpid(pid, 0)
