"""Work on several parts at once, one forked process per extra part.

A big ledger is read faster on a machine with more than one core when its file is cut into
stretches of lines and each is read by its own process. The parent reads the first part
itself while children read the others; each child sends back what it made, pickled, and the
parent takes the results in order. A child that fails sends no more (NOTHING, or an end), and
the parent does without what it did not send (a part whose first result never came, it reads
itself), so the outcome never depends on whether the children worked; and whatever happens
in the parent, no child outlives its use.

A child's work is a generator: each result it yields is sent at once, and the next is made
while the parent takes in the ones before. So a child that would otherwise sit idle while the
parent takes in its part can prepare more for the parent meanwhile. The parent's own work is a
generator too: what it yields first, once its part is read, is told to every child at once, as
the value of the child's first `yield`; the rest of the parent's work (grouping its part) runs
after that, while the children go on with what they were told.

A child writes its results into memory shared with the parent, so it is done as soon as it has
written them, and the parent reads them where they lie; a pipe would copy them through a small
buffer while both wait. A result too big for that memory goes through the pipe instead. The pipe
carries a header per message: its kind and a number (where the result starts in shared memory,
or how many bytes follow).
"""
from __future__ import annotations

import mmap
import os
import pickle
import signal
import sys
import threading
from contextlib import suppress

from .leaving import keep_until_exit, leaving, leaving_at_exit

# memory reserved for each child's results: only what the child writes is ever allocated
SHARED_BYTES = 1 << 30
IN_SHARED = b"S"          # the result is in shared memory, from the offset given
IN_PIPE = b"P"            # the result follows in the pipe, as many bytes as given
NOTHING = b"N"            # the work failed: no more results
_NUMBER = 8               # bytes of the number after each kind


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
    """own(parts[0]), a generator that yields at least once, here while work(part), a generator, runs
    for every other part in a forked child; what own yields first is sent into each child's work
    after its first result, and own then runs to its end. Yields (part, results) in order, after own is done: `results` iterates
    over what the child's work yielded, each read when asked for, and ends early where the child
    failed (a part whose first result never comes is the caller's to do). Ask for what you want
    before moving on to the next part: a child is stopped then. However this ends (an error here,
    Ctrl-C), no child is left behind."""
    children = [_fork(part, work) for part in parts[1:]]
    try:
        mine = own(parts[0])
        told = pickle.dumps(next(mine), protocol=pickle.HIGHEST_PROTOCOL)
        for child in children:
            _tell(child, told)
        for _ in mine:
            pass
        for index, part in enumerate(parts[1:]):
            yield part, _results(children[index])
            child, children[index] = children[index], None
            if child is not None:
                _stop(child)
    finally:
        for child in children:
            if child is not None:
                _stop(child)


def _fork(part, work):
    import socket          # only where a file is read in parts: the module costs a small ledger's start-up

    try:
        readable, writable = os.pipe()             # results, from the child
    except OSError:
        return None
    try:
        # what own yielded, to the child: a socket, whose send can be told not to raise SIGPIPE
        # when the child has gone (a program may have that signal end it)
        telling, hearing = socket.socketpair()
    except OSError:
        os.close(readable)
        os.close(writable)
        return None
    shared = _shared_memory()
    try:
        pid = os.fork()
    except OSError:
        for end in (readable, writable):
            os.close(end)
        telling.close()
        hearing.close()
        _release(shared)
        return None
    if pid == 0:                                   # the child: work, send, and leave at once
        leaving_at_exit()
        try:
            os.close(readable)
            telling.close()
            with os.fdopen(writable, "wb") as pipe, hearing.makefile("rb") as heard:
                for message in _messages(work(part), shared, lambda: pickle.load(heard)):
                    pipe.write(message)
                    pipe.flush()
        finally:
            os._exit(0)                            # no cleanup: the parent owns everything else
    os.close(writable)
    hearing.close()
    return pid, os.fdopen(readable, "rb"), shared, telling


def _tell(child, told: bytes) -> None:
    """Send a child what own yielded first (pickled); a child that has gone needs nothing."""
    import socket          # imported already, by _fork

    if child is not None:
        with suppress(OSError):
            child[3].sendall(told, socket.MSG_NOSIGNAL)


def _shared_memory() -> mmap.mmap | None:
    try:
        return mmap.mmap(-1, SHARED_BYTES)         # anonymous, MAP_SHARED: a child's writes reach the parent
    except (OSError, ValueError, OverflowError):   # no room for the reservation: the pipe will do
        return None


def _messages(results, shared: mmap.mmap | None, told):
    """What the pipe carries for each result the work yields, each made when the one before is sent;
    after the first, the work is sent what the parent's own part came to (`told()`, which
    waits for it). Where the work fails, NOTHING ends them (the parent does without the rest)."""
    try:
        result = next(results)
        yield _message(result, shared)
        result = results.send(told())
        while True:
            yield _message(result, shared)
            result = next(results)
    except StopIteration:
        return
    except Exception:
        yield NOTHING + bytes(_NUMBER)


def _message(result, shared: mmap.mmap | None) -> bytes:
    """A result written into shared memory after the ones before, or, where it does not fit, pickled
    into the message itself."""
    if shared is not None:
        start = shared.tell()
        try:
            pickle.dump(result, shared, protocol=pickle.HIGHEST_PROTOCOL)
            return IN_SHARED + start.to_bytes(_NUMBER, "little")
        except ValueError:                         # no room left in the shared memory
            shared.seek(start)
    data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    return IN_PIPE + len(data).to_bytes(_NUMBER, "little") + data


def _results(child):
    """What a child's work yielded, each read when asked for; they end where the child failed or stopped."""
    if child is None:
        return
    _, pipe, shared, _ = child
    while True:
        try:
            header = pipe.read(1 + _NUMBER)
            kind, number = header[:1], int.from_bytes(header[1:], "little")
            if len(header) < 1 + _NUMBER or kind not in (IN_SHARED, IN_PIPE):
                return
            if kind == IN_SHARED:
                with memoryview(shared) as whole, whole[number:] as view:
                    result = pickle.loads(view)
            else:
                data = pipe.read(number)
                if len(data) < number:
                    return
                result = pickle.loads(data)
        except Exception:
            return
        yield result


def _release(shared: mmap.mmap | None) -> None:
    """Give back the memory shared with a child (unmapping what it wrote takes a few milliseconds,
    which a process about to leave can leave to the system)."""
    if shared is not None:
        if leaving():
            keep_until_exit(shared)
        else:
            shared.close()


def _stop(child) -> None:
    """A child whose results are no longer wanted: ended, its pipes closed, reaped (but by a process
    about to leave, which need not wait while the system takes the child's memory back: see leaving)."""
    pid, pipe, shared, telling = child
    with suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    for end in (pipe, telling):
        with suppress(OSError):
            end.close()
    if not leaving():
        _reap(pid)
    _release(shared)


def _reap(pid: int) -> None:
    # with SIGCHLD ignored (a setting a parent process can pass down), the system reaps children itself
    with suppress(ChildProcessError):
        os.waitpid(pid, 0)
