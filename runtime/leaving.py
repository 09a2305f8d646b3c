"""Memory a process about to leave need not give back.

The `govrule` command and each reading child end with os._exit, which returns all their memory
to the system at once. Freeing a big object before that (a file's bytes, a dict of every item,
a part's million cells) only costs time: each freed object is touched once more, most of them
long out of the processor's cache. Such a process says so once (`leaving_at_exit`), and the
code that made those objects hands them to `keep_until_exit`. Anywhere else (the library
called from a longer-lived program, the tests) nothing is kept and memory is freed as usual.
"""
from __future__ import annotations

_kept: list | None = None


def leaving_at_exit() -> None:
    """This process ends with os._exit: from now on, keep_until_exit keeps what it is given."""
    global _kept
    if _kept is None:
        _kept = []


def leaving() -> bool:
    """Whether this process ends with os._exit (leaving_at_exit was called)."""
    return _kept is not None


def keep_until_exit(*objects) -> None:
    """Keep these objects alive until the process leaves, if it leaves at once (see leaving_at_exit)."""
    if _kept is not None:
        _kept.extend(objects)
