"""A cache of compiled policies, so that scoring with an unchanged policy skips the compiler.

compile_cached(path) returns what compile_file(path) would. A policy that compiled without
errors is pickled, keyed by its bytes, its path, the Python version and the compiler's own
code (its sources, grammar and the libraries it calls), so a change to any of them compiles
afresh. Loading a plan imports neither Lark, networkx nor zhconv.

Plans live in $GOVRULE_CACHE_DIR/plans/, by default $XDG_CACHE_HOME/govrule/plans/ or
~/.cache/govrule/plans/. GOVRULE_CACHE_DIR="" or GOVRULE_NO_CACHE=1 turns the cache off. Each
edit of a policy makes a new plan; the cache keeps the KEEP plans used last.
Loading a plan runs pickle, so a plan is read only from a file and folder that only this user can
write to; the folders are made that way.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Iterable
from contextlib import suppress
from functools import lru_cache
from pathlib import Path

from . import pipeline
from .pipeline import Compiled

_COMPILER = Path(__file__).resolve().parent
_GRAMMAR = _COMPILER.parent / "grammar" / "govrule.lark"
_LIBRARIES = ("lark", "networkx", "zhconv")
KEEP = 100      # plans kept: the ones stored or loaded last


def compile_cached(path: str | Path) -> Compiled:
    """compile_file(path), from the cache when this policy compiled cleanly before."""
    folder = cache_dir()
    if folder is None:
        return pipeline.compile_file(path)
    try:
        source = Path(path).read_bytes()
        text = source.decode("utf-8-sig")
        entry = folder / "plans" / f"{plan_key(source, path, code_fingerprint())}.pickle"
    except (OSError, ValueError):        # compile_file reports the unreadable file
        return pipeline.compile_file(path)
    cached = _load(entry)
    if isinstance(cached, Compiled) and cached.ok and cached.source == text:
        return cached
    compiled = pipeline.compile_file(path)
    if compiled.ok and compiled.source == text:     # the file did not change while it compiled
        _store(entry, compiled)
    return compiled


def cache_dir() -> Path | None:
    """The cache's folder, or None when caching is off."""
    if os.environ.get("GOVRULE_NO_CACHE", "") not in ("", "0"):
        return None
    configured = os.environ.get("GOVRULE_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = xdg if os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "govrule") if os.path.isabs(base) else None   # no home: no cache in the working folder


def plan_key(source: bytes, path: str | Path, fingerprint: str) -> str:
    """The cache key of a policy: its bytes, path and Python, and the compiler's fingerprint."""
    # diagnostics cite the path as given; the resolved one tells apart files reached from different folders
    parts = (source, os.fsencode(str(Path(path))), os.fsencode(os.path.realpath(path)),
             sys.version.encode(), fingerprint.encode())
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The compiler as installed: its sources, its grammar and the versions of its libraries."""
    return fingerprint(sorted(_COMPILER.glob("*.py")) + [_GRAMMAR], _library_versions())


def fingerprint(files: Iterable[Path], extra: str = "") -> str:
    """A digest of the files' names and contents, and of extra."""
    digest = hashlib.sha256(extra.encode())
    for file in files:
        for part in (file.name.encode(), file.read_bytes()):
            digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _library_versions() -> str:
    """Where the libraries are and their versions, read off their dist-info folders' names.

    Importing them is what the cache saves; find_spec only locates a top-level package.
    """
    from importlib.util import find_spec

    found = []
    for name in _LIBRARIES:
        spec = find_spec(name)
        origin = spec.origin if spec and spec.origin else ""
        found.append(f"{name}={origin}")
        if origin:
            found += sorted(p.name for p in Path(origin).parent.parent.glob(f"{name}-*.dist-info"))
    return "\n".join(found)


def _load(entry: Path) -> object:
    """The cached result, if the file is there and only this user could have written it:
    unpickling runs what the file says, so a file another user could change is not read."""
    try:
        with open(entry, "rb") as file:
            if not _private(os.fstat(file.fileno())) or not _private(os.stat(entry.parent)):
                return None
            plan = pickle.load(file)
    except Exception:     # missing, unreadable or corrupt (a damaged pickle can raise almost anything)
        return None
    with suppress(OSError):
        os.utime(entry)   # used now: pruning keeps it
    return plan


def _private(status: os.stat_result) -> bool:
    owner = os.geteuid() if hasattr(os, "geteuid") else status.st_uid
    return status.st_uid == owner and not status.st_mode & 0o022


def _store(entry: Path, compiled: Compiled) -> None:
    """Write the plan atomically; a cache that cannot be written just goes unused."""
    import tempfile     # only a cold start writes: loading need not pay for it

    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=entry.parent, prefix=".", suffix=".tmp")
    except OSError:
        return
    stored = False
    try:
        with os.fdopen(handle, "wb") as file:
            pickle.dump(compiled, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, entry)
        stored = True
    except Exception:     # a full disk, or a plan too deeply nested to pickle
        pass
    finally:
        if not stored:
            with suppress(OSError):
                os.unlink(temp)
    if stored:
        _prune(entry.parent)


def _prune(folder: Path) -> None:
    """Remove all but the KEEP plans used last (stored or loaded: their files' times say when)."""
    def used(path: Path) -> float:
        with suppress(OSError):           # another process may prune at the same time
            return path.stat().st_mtime
        return 0.0

    plans = sorted(folder.glob("*.pickle"), key=used, reverse=True)
    for old in plans[KEEP:]:
        with suppress(OSError):
            old.unlink()
