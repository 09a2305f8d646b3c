"""Pausing the garbage collector while a ledger's rows are made and scored.

A million rows make millions of objects that hold no reference cycles. Each pass of the collector
over them finds nothing, and it would run a pass every few hundred new objects. Cycles made
meanwhile are not lost: the collector finds them once it runs again.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    """No collections inside; the collector's own setting (on or off) is restored after."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
