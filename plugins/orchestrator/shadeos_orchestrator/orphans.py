"""Processes a team's daemons left behind: grandchildren that daemonised, given back to the orchestrator.

The orchestrator is a child subreaper: a descendant whose parent dies (a
daemon's command that forked, ``setsid`` and forked again, say) becomes its
child. Every daemon is started with ``KIN_DAEMON_ID`` in its environment, which
all its descendants inherit, so an orphan is known by the daemon it came from:
it is stopped when that daemon stops, restarts or crashes, and whatever is left
is stopped with the team. Orphans that ended are reaped here (no zombie stays).
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Collection
from dataclasses import dataclass

from .treekill import kill_trees

__all__ = ["Orphan", "Orphans", "DAEMON_ENV"]

#: The environment variable every daemon (and everything it starts) carries: its daemon id.
DAEMON_ENV = "KIN_DAEMON_ID"


@dataclass(frozen=True)
class Orphan:
    pid: int
    started: float
    daemon_id: str

    def to_json(self) -> dict[str, object]:
        return {"pid": self.pid, "pid_started": self.started, "daemon_id": self.daemon_id}


def _children() -> list[int]:
    """This process's children: from ``/proc/self/task/*/children`` (cheap), else from psutil (a full scan)."""
    pids: set[int] = set()
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children", "rb") as handle:
                pids.update(int(p) for p in handle.read().split())
        return sorted(pids)
    except (OSError, ValueError):
        import psutil

        try:
            return [child.pid for child in psutil.Process().children()]
        except psutil.Error:
            return []


def _daemon_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            for item in handle.read().split(b"\0"):
                if item.startswith(DAEMON_ENV.encode() + b"="):
                    return item.split(b"=", 1)[1].decode("utf-8", "replace")
    except OSError:
        pass
    return ""


class Orphans:
    """The children of this process that are not the daemons it started."""

    def __init__(self) -> None:
        self.known: dict[int, Orphan] = {}

    def look(self, daemons: Collection[int]) -> list[Orphan]:
        """Reap the orphans that ended, note the new ones; returns the new ones."""
        import psutil

        new = []
        alive = set()
        for pid in _children():
            if pid in daemons:
                continue
            try:
                child = psutil.Process(pid)
                zombie = child.status() == psutil.STATUS_ZOMBIE
                started = child.create_time()
            except psutil.Error:
                zombie, started = True, 0.0
            if zombie:
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(pid, os.WNOHANG)
                continue
            alive.add(pid)
            if pid not in self.known:
                self.known[pid] = Orphan(pid, started, _daemon_of(pid))
                new.append(self.known[pid])
        for pid in list(self.known):
            if pid not in alive:
                del self.known[pid]
        return new

    def stop(self, daemon_id: str | None = None, *, timeout: float = 2.0) -> int:
        """Stop the orphans of ``daemon_id`` (every one when ``None``) with their trees; returns how many."""
        chosen = [o for o in self.known.values() if daemon_id is None or o.daemon_id == daemon_id]
        if not chosen:
            return 0
        count = kill_trees([(o.pid, o.started) for o in chosen], timeout=timeout)
        for orphan in chosen:
            self.known.pop(orphan.pid, None)
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(orphan.pid, os.WNOHANG)
        return count
