"""One team runs once per workspace: an ``flock`` on ``.kin/run/locks/<team>.lock`` held for the
orchestrator's life, and a note beside it (``<team>.json``: pid, start time, since) saying who holds it."""
from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shadeos_core.errors import KinError
from shadeos_core.fsio import atomic_write_json, read_json
from shadeos_core.luciorbe import iso_now, process_matches
from shadeos_core.workspace import Workspace, check_name

__all__ = ["TeamLock", "Holder", "running_teams"]


@dataclass
class Holder:
    """Who holds a team's lock, from the note."""

    team: str
    pid: int
    pid_started: float
    since: str

    @property
    def alive(self) -> bool:
        return process_matches(self.pid, self.pid_started)


def _paths(workspace: Workspace, team: str) -> tuple[Path, Path]:
    directory = workspace.state_dir("run", "locks")
    name = check_name(team, what="team name")
    return directory / f"{name}.lock", directory / f"{name}.json"


def read_holder(workspace: Workspace, team: str) -> Holder | None:
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        data = read_json(_paths(workspace, team)[1])
        return Holder(team, int(data["pid"]), float(data["pid_started"]), str(data.get("since", "")))
    return None


class TeamLock:
    """Acquire with :meth:`acquire` (refuses with a clear error when held), release with :meth:`release`."""

    def __init__(self, workspace: Workspace, team: str) -> None:
        self.workspace = workspace
        self.team = team
        self.lock_path, self.note_path = _paths(workspace, team)
        self._fd: int | None = None

    def acquire(self) -> None:
        import psutil

        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = read_holder(self.workspace, self.team)
            who = f"pid {holder.pid} since {holder.since}" if holder else "another process"
            raise KinError(f"team {self.team!r} is already running in {self.workspace.root} ({who})",
                           hint=f"stop it with: kin stop {self.team}") from None
        self._fd = fd
        note: dict[str, Any] = {"team": self.team, "pid": os.getpid(),
                                "pid_started": psutil.Process().create_time(), "since": iso_now(),
                                "argv": sys.argv}
        atomic_write_json(self.note_path, note, indent=None)

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.note_path)
        os.close(self._fd)  # closing drops the flock
        self._fd = None


def running_teams(workspace: Workspace) -> list[Holder]:
    """Teams whose lock note names a live orchestrator."""
    directory = workspace.kin_dir / "run" / "locks"
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob("*.json")):
        holder = read_holder(workspace, path.stem)
        if holder is not None and holder.alive:
            found.append(holder)
    return found
