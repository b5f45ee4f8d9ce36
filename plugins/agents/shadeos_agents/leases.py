"""File leases: one writer per file at a time, across every agent process of a workspace.

A lease is an ``flock`` on ``.kin/agents/leases/<digest>.lock``: the kernel
drops it when its holder dies, even by SIGKILL, so a dead holder's lease is
broken by the next writer without anyone having to judge the holder dead.
While held, the file records who holds it (daemon id, pid, path, the
temporary file of the write in progress); a clean release empties it. A
lease found non-empty when taken was therefore left by a holder that died:
the taker reports it and removes that holder's half-written temporary file.
Lock files are emptied, never deleted (deleting a locked path would let two
writers hold "the" lease on two different inodes).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shadeos_core.fsio import dumps_json, loads_json
from shadeos_core.workspace import Workspace

__all__ = ["Lease", "LeaseBusy", "Leases"]

_POLL = 0.02


class LeaseBusy(Exception):
    """Another live agent held the lease for longer than the wait allowed."""

    def __init__(self, path: str, holder: dict[str, Any]) -> None:
        super().__init__(f"{path} is being written by {holder.get('holder') or 'another agent'}")
        self.path = path
        self.holder = holder


@dataclass
class Lease:
    """A held lease. ``broken`` is the record a dead holder left (``None`` when it was free)."""

    path: str
    fd: int
    holder: str
    broken: dict[str, Any] | None = None
    waited_for: dict[str, Any] | None = None
    record: dict[str, Any] = field(default_factory=dict)

    def note_temp(self, temp: str | None) -> None:
        """Record the temporary file of the write in progress (cleaned by whoever breaks this lease)."""
        self.record["temp"] = temp
        _rewrite(self.fd, self.record)


def _rewrite(fd: int, record: dict[str, Any]) -> None:
    data = dumps_json(record).encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _read(fd: int) -> dict[str, Any] | None:
    try:
        raw = os.pread(fd, 65536, 0)
    except OSError:
        return None
    if not raw.strip():
        return None
    try:
        value = loads_json(raw)
    except ValueError:
        return {"holder": "?", "damaged": True}
    return value if isinstance(value, dict) else {"holder": "?", "damaged": True}


class Leases:
    """The leases of one workspace, taken on behalf of ``holder`` (a daemon id)."""

    def __init__(self, workspace: Workspace, holder: str) -> None:
        self.workspace = workspace
        self.holder = holder
        self.directory = workspace.kin_dir / "agents" / "leases"

    def lock_path(self, rel: str) -> Path:
        digest = hashlib.sha1(rel.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        return self.directory / f"{digest}.lock"

    @contextlib.contextmanager
    def hold(self, rel: str, *, wait: float,
             on_busy: Callable[[dict[str, Any]], None] | None = None) -> Iterator[Lease]:
        """Hold the lease on ``rel`` for the ``with`` block, waiting up to ``wait`` seconds for a live holder.

        ``on_busy(holder_record)`` is called once when the lease is held by
        someone else at first try. Raises :class:`LeaseBusy` after ``wait``.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path(rel), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            waited = self._acquire(fd, rel, wait, on_busy)
            lease = Lease(rel, fd, self.holder, waited_for=waited)
            lease.broken = _read(fd)
            if lease.broken is not None:
                self._clean_after(lease.broken)
            lease.record = {"holder": self.holder, "pid": os.getpid(), "path": rel, "since": time.time(), "temp": None}
            _rewrite(fd, lease.record)
            try:
                yield lease
            finally:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _acquire(self, fd: int, rel: str, wait: float,
                 on_busy: Callable[[dict[str, Any]], None] | None) -> dict[str, Any] | None:
        deadline = time.monotonic() + wait
        told: dict[str, Any] | None = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return told
            except BlockingIOError:
                pass
            if told is None:
                told = _read(fd) or {"holder": "another agent"}
                if on_busy is not None:
                    on_busy(told)
            if time.monotonic() >= deadline:
                raise LeaseBusy(rel, told)
            time.sleep(_POLL)

    def _clean_after(self, record: dict[str, Any]) -> None:
        temp = record.get("temp")
        if isinstance(temp, str) and temp:
            candidate = Path(temp)
            # only a temporary file of a write in this workspace, named as the gate names them
            if self.workspace.root in candidate.parents and candidate.name.endswith(".kin.tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(candidate)

    def sweep(self) -> list[dict[str, Any]]:
        """Break every lease a dead holder left (free lock, record still there); returns their records."""
        broken: list[dict[str, Any]] = []
        if not self.directory.is_dir():
            return broken
        for entry in os.scandir(self.directory):
            if not entry.name.endswith(".lock"):
                continue
            try:
                fd = os.open(entry.path, os.O_RDWR)
            except OSError:
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live holder
                record = _read(fd)
                if record is not None:
                    self._clean_after(record)
                    os.ftruncate(fd, 0)
                    broken.append(record)
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        return broken
