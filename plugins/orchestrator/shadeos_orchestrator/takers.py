"""Who may take a task: the daemons the teams here declare, and the running ones whose type takes tasks."""
from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from shadeos_core.errors import KinError, UsageError
from shadeos_core.tasks import addressed_to
from shadeos_core.teamstate import read_team_states

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel

__all__ = ["check_target", "waiting_note", "accepts_tasks"]


def accepts_tasks(kernel: Kernel, dtype: str, meta: bool) -> bool:
    """Whether daemons of this type are handed tasks (``accepts_tasks`` on their class)."""
    registry = kernel.meta_daemon_types if meta else kernel.daemon_types
    return bool(getattr(registry.get(dtype), "accepts_tasks", False))


def _declared(kernel: Kernel, cwd: str | None) -> list[str]:
    """Every daemon id of the teams visible from ``cwd`` that validate (a broken team names none)."""
    teams = kernel.teams(cwd=cwd)
    ids: list[str] = []
    for name in teams.names():
        try:
            ids += [spec.daemon_id for spec in teams.get(name).members()]
        except KinError:
            continue
    return ids


def check_target(kernel: Kernel, cwd: str | None, to: str) -> None:
    """Refuse a task reserved for a daemon no team here has (naming the closest one)."""
    ids = _declared(kernel, cwd)
    if any(addressed_to(to, daemon_id) for daemon_id in ids):
        return
    names = sorted({*ids, *(i.split(".", 1)[1] for i in ids)})
    close = difflib.get_close_matches(to, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else (
        "kin teams lists the teams and their daemons" if ids else "no team is defined here yet: kin init")
    raise UsageError(f"no team here has a daemon {to!r} to take this task", hint=hint)


def waiting_note(kernel: Kernel, to: str | None) -> str:
    """Why a task just queued will wait (no running team, or none of its daemons takes it); ``""`` when one
    running daemon may take it."""
    states = [s for s in read_team_states(kernel.workspace) if s.get("running")]
    if not states:
        return "no team is running here: it waits until one runs a daemon that takes tasks (kin TEAM)"
    takers: list[str] = []
    for state in states:
        for daemon in state["daemons"]:
            if accepts_tasks(kernel, str(daemon.get("type") or ""), bool(daemon.get("meta"))):
                takers.append(str(daemon.get("daemon_id") or ""))
    teams = ", ".join(str(s["team"]) for s in states)
    if not takers:
        return f"no daemon of the running team ({teams}) takes tasks: it waits until one does (agents do)"
    if to is not None and not any(addressed_to(to, t) for t in takers):
        return f"{to} does not take tasks in the running team ({teams}): it waits until it does"
    return ""

