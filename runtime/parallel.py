"""Work on several parts at once, one forked process per extra part.

A big ledger is read faster on a machine with more than one core when its file is cut into
stretches of lines and each is read by its own process. The parent reads the first part
itself while children read the others; each child sends back what it made, pickled, and the
parent takes the results in order. A child that fails sends nothing, and the parent does that
part itself, so the outcome never depends on whether the children worked; and whatever happens
in the parent, no child outlives its use.

A child writes its result into memory shared with the parent, so it is done as soon as it has
written it, and the parent reads it where it lies; a pipe would copy it through a small buffer
while both wait. A result too big for that memory goes through the pipe instead.
"""
from __future__ import annotations

import mmap
import os
import pickle
import signal
import sys
import threading
from contextlib import suppress

from .leaving import leaving_at_exit

# memory reserved for each child's result: only what the child writes is ever allocated
SHARED_BYTES = 1 << 30
IN_SHARED = b"S"          # what the pipe carries when the result is in shared memory


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
    shared = _shared_memory()
    try:
        pid = os.fork()
    except OSError:
        os.close(readable)
        os.close(writable)
        _release(shared)
        return None
    if pid == 0:                                   # the child: work, send, and leave at once
        leaving_at_exit()
        try:
            os.close(readable)
            with os.fdopen(writable, "wb") as pipe:
                pipe.write(_sent(work, part, shared))
        finally:
            os._exit(0)                            # no cleanup: the parent owns everything else
    os.close(writable)
    return pid, readable, shared


def _shared_memory() -> mmap.mmap | None:
    try:
        return mmap.mmap(-1, SHARED_BYTES)         # anonymous, MAP_SHARED: a child's writes reach the parent
    except (OSError, ValueError, OverflowError):   # no room for the reservation: the pipe will do
        return None


def _sent(work, part, shared: mmap.mmap | None) -> bytes:
    """What the pipe carries: IN_SHARED when the result is in shared memory, else the pickled result,
    or nothing when the work failed (the parent will do this part itself)."""
    try:
        result = work(part)
        if shared is not None:
            try:
                pickle.dump(result, shared, protocol=pickle.HIGHEST_PROTOCOL)
                return IN_SHARED
            except ValueError:                     # bigger than the shared memory
                pass
        return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:
        return b""


def _collect(child):
    if child is None:
        return None
    pid, readable, shared = child
    try:
        with os.fdopen(readable, "rb") as pipe:
            data = pipe.read()
    finally:
        _reap(pid)
    try:
        if data == IN_SHARED:
            with memoryview(shared) as view:
                return pickle.loads(view)
        return pickle.loads(data) if data else None
    except Exception:
        return None
    finally:
        _release(shared)


def _release(shared: mmap.mmap | None) -> None:
    if shared is not None:
        shared.close()


def _stop(child) -> None:
    """A child whose result is no longer wanted: ended, its pipe closed, reaped."""
    pid, readable, shared = child
    with suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with suppress(OSError):
        os.close(readable)
    _reap(pid)
    _release(shared)


def _reap(pid: int) -> None:
    # with SIGCHLD ignored (a setting a parent process can pass down), the system reaps children itself
    with suppress(ChildProcessError):
        os.waitpid(pid, 0)
