"""The files of the mid-term context: one JSON document per (daemon, context type) under ``.kin/context/``.

``.kin/context/<daemon_id>/<context_type>.json`` holds::

    {"schema": 1, "daemon_id": "coding.production", "context_type": "task_states",
     "stored_at": 1763650000.1, "expires_at": 1763657200.1, "ttl": 7200.0, "pid": 4242,
     "data": {...}}

Writes replace the whole file atomically, so concurrent writers resolve to the last
one and a reader never sees half a file. Reads go through an in-process cache that
is validated on every read by one ``os.stat`` (inode, mtime, size), and hand out the
cached data itself, read-only (:mod:`.readonly`): no copy per read.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shadeos_core.errors import KinError, UsageError
from shadeos_core.fsio import atomic_write_bytes, file_lock, loads_json
from shadeos_core.workspace import Workspace, check_name

from .readonly import copy_json, freeze_json
from .settings import ContextSettings

__all__ = ["ContextEntry", "ContextStore", "copy_json", "encode_data"]

log = logging.getLogger(__name__)

SCHEMA = 1
#: A file modified this recently may be rewritten within the same file-system timestamp tick
#: (and reuse the freed inode with the same size): its stat signature is not trusted until it
#: is older than this, so the cache never serves a stale value (git's "racily clean" rule).
RACY_NS = 50_000_000


@dataclass(frozen=True)
class ContextEntry:
    """One stored context: its data and when it expires (epoch seconds)."""

    daemon_id: str
    context_type: str
    data: dict[str, Any]
    stored_at: float
    expires_at: float
    ttl: float
    pid: int = 0

    def expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires_at

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "daemon_id": self.daemon_id, "context_type": self.context_type,
                "stored_at": self.stored_at, "expires_at": self.expires_at, "ttl": self.ttl, "pid": self.pid,
                "data": self.data}


@dataclass
class _Cached:
    path: Path
    signature: tuple[int, int, int]
    racy: bool
    entry: ContextEntry


def encode_data(daemon_id: str, context_type: str, data: Any, limit: int) -> bytes:
    """``data`` as compact JSON, or a clear error when it is not a JSON object or is too large."""
    what = f"context {daemon_id}/{context_type}"
    if not isinstance(data, dict):
        raise UsageError(f"{what}: the value must be a JSON object, got {type(data).__name__}",
                         hint='wrap it, e.g. {"value": ...}')
    try:
        raw = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{what}: the value is not JSON: {exc}",
                         hint="store only dicts, lists, strings, numbers, booleans and null") from None
    if len(raw) > limit:
        raise UsageError(f"{what}: the value is {len(raw)} bytes, over the limit of {limit} bytes",
                         hint="store less, or raise max_entry_bytes under [context] in kin.toml")
    return raw


class ContextStore:
    """Reads and writes context entries for one workspace; safe to share between processes."""

    def __init__(self, workspace: Workspace, settings: ContextSettings) -> None:
        self.workspace = workspace
        self.settings = settings
        self.root = workspace.kin_dir / "context"
        self._cache: dict[tuple[str, str], _Cached] = {}

    # -- paths ---------------------------------------------------------------------------
    def path(self, daemon_id: str, context_type: str) -> Path:
        """Where an entry lives; both names must be safe path components (no ``/``, no ``..``)."""
        check_name(daemon_id, what="daemon id")
        check_name(context_type, what="context type")
        return self.root / daemon_id / f"{context_type}.json"

    @contextlib.contextmanager
    def _lock(self, *, shared: bool) -> Iterator[None]:
        # Writers share the lock (os.replace already orders them); expiry takes it alone so
        # it never deletes an entry rewritten between its check and its unlink.
        self.workspace.state_dir("context")  # creates it, or refuses outside a workspace
        with file_lock(self.root / ".lock", shared=shared):
            yield

    # -- writing -------------------------------------------------------------------------
    def write(self, daemon_id: str, context_type: str, data: Any, ttl: float | None = None) -> ContextEntry:
        """Replace the entry atomically; ``ttl`` seconds (default: the type's TTL)."""
        path = self.path(daemon_id, context_type)
        raw = encode_data(daemon_id, context_type, data, self.settings.max_entry_bytes)
        seconds = self.settings.ttl_for(context_type) if ttl is None else float(ttl)
        if not seconds > 0 or seconds == float("inf"):
            raise UsageError(f"context {daemon_id}/{context_type}: ttl must be a positive number of seconds, "
                             f"got {ttl!r}")
        now = time.time()
        entry = ContextEntry(daemon_id, context_type, json.loads(raw), now, now + seconds, seconds, os.getpid())
        text = json.dumps(entry.to_json(), indent=2, ensure_ascii=False) + "\n"
        with self._lock(shared=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, text.encode("utf-8"))
        # Not cached as written: another process may already have replaced it; the next read checks.
        self._cache.pop((daemon_id, context_type), None)
        return entry

    def remove(self, daemon_id: str, context_type: str) -> bool:
        """Delete an entry; ``False`` when there was none."""
        path = self.path(daemon_id, context_type)
        self._cache.pop((daemon_id, context_type), None)
        with self._lock(shared=True):
            try:
                os.unlink(path)
            except FileNotFoundError:
                return False
        return True

    def expire(self, now: float | None = None) -> list[ContextEntry]:
        """Delete every entry past its TTL; returns what was deleted."""
        now = time.time() if now is None else now
        removed: list[ContextEntry] = []
        if not self.root.is_dir():
            return removed
        with self._lock(shared=False):
            for entry in self.entries():
                if entry.expired(now):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.root / entry.daemon_id / f"{entry.context_type}.json")
                    self._cache.pop((entry.daemon_id, entry.context_type), None)
                    removed.append(entry)
            for directory in self.root.iterdir():
                if directory.is_dir() and not directory.name.startswith("."):
                    with contextlib.suppress(OSError):
                        directory.rmdir()  # only succeeds when empty
        return removed

    # -- reading -------------------------------------------------------------------------
    def read(self, daemon_id: str, context_type: str) -> ContextEntry | None:
        """The entry as on disk now (expired or not); ``None`` when absent or unreadable."""
        key = (daemon_id, context_type)
        cached = self._cache.get(key)
        if cached is not None:
            try:
                st = os.stat(cached.path)
            except FileNotFoundError:
                del self._cache[key]
                return None
            if not cached.racy and (st.st_ino, st.st_mtime_ns, st.st_size) == cached.signature:
                return cached.entry
            path = cached.path
        else:
            path = self.path(daemon_id, context_type)
        return self._load(key, path)

    def _load(self, key: tuple[str, str], path: Path) -> ContextEntry | None:
        try:
            with open(path, "rb") as handle:
                # The signature comes from the descriptor we read: files are only ever replaced,
                # never rewritten in place, so it describes exactly these bytes.
                st = os.fstat(handle.fileno())
                raw = handle.read()
        except FileNotFoundError:
            self._cache.pop(key, None)
            return None
        except OSError as exc:
            raise KinError(f"cannot read context entry: {exc}", where=str(path)) from None
        entry = self._parse(key, path, raw)
        if entry is None:
            self._cache.pop(key, None)
            return None
        racy = time.time_ns() - st.st_mtime_ns < RACY_NS
        self._cache[key] = _Cached(path, (st.st_ino, st.st_mtime_ns, st.st_size), racy, entry)
        return entry

    @staticmethod
    def _parse(key: tuple[str, str], path: Path, raw: bytes) -> ContextEntry | None:
        try:
            doc = loads_json(raw)
            data = doc["data"]
            if not isinstance(data, dict):
                raise ValueError("data is not an object")
            # Read-only: every read hands out this very value, so no caller may change it under the others.
            return ContextEntry(key[0], key[1], freeze_json(data), float(doc["stored_at"]), float(doc["expires_at"]),
                                float(doc.get("ttl", 0)), int(doc.get("pid", 0)))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("%s: malformed context entry ignored: %s", path, exc)
            return None

    def entries(self) -> Iterator[ContextEntry]:
        """Every readable entry, expired ones included, sorted by daemon then type."""
        if not self.root.is_dir():
            return
        for directory in sorted(self.root.iterdir()):
            if directory.name.startswith(".") or not directory.is_dir():
                continue
            for file in sorted(directory.glob("*.json")):
                if file.name.startswith("."):
                    continue
                try:
                    entry = self.read(directory.name, file.stem)
                except KinError:
                    continue  # a name that is not ours (put there by hand): not a context entry
                if entry is not None:
                    yield entry

    def count(self) -> int:
        """How many entry files exist (expired ones included), without reading them."""
        if not self.root.is_dir():
            return 0
        return sum(1 for d in self.root.iterdir() if d.is_dir() and not d.name.startswith(".")
                   for f in d.glob("*.json") if not f.name.startswith("."))
