"""Requests to a running team's supervisor from elsewhere: stop, start or restart one daemon.

``kin daemon stop|start|restart NAME`` and the web dashboard write a request;
the orchestrator of the team takes it at its next cycle and acts on it with its
own stop path (SIGTERM, then a kill of the tree after the daemon's
``stop_timeout``), so a daemon stopped or restarted this way tears down as it
does at ``kin stop``. One file per request, written atomically::

    .kin/run/control/<team>/<ns>-<pid>.json
    {"schema": 1, "action": "restart", "daemon": "production", "by": "ada", "at": 1795990070.4}

``stop`` holds the daemon down (phases and restart policies leave it stopped)
until a ``start``; ``restart`` stops it gracefully and starts it again at once,
which does not count towards flapping; ``start`` starts a daemon that is held,
stopped, exited or FATAL (its failed starts forgotten).
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .fsio import atomic_write_json, loads_json
from .shapes import NUMBER, TEXT, typed
from .workspace import Workspace, check_name

__all__ = ["ACTIONS", "ControlRequest", "control_dir", "request_control", "take_requests", "pending_requests"]

ACTIONS = ("stop", "start", "restart")
SCHEMA = 1
#: Bytes a request file may hold (anything larger is not a request).
_MAX_BYTES = 4096


@dataclass(frozen=True)
class ControlRequest:
    """One request: what to do to which daemon (its name in the team), who asked, and when."""

    action: str
    daemon: str
    by: str
    at: float
    path: Path


def control_dir(workspace: Workspace, team: str) -> Path:
    """``.kin/run/control/<team>``: where requests to ``team``'s supervisor wait (not created here)."""
    return workspace.kin_dir / "run" / "control" / check_name(team, what="team name")


def request_control(workspace: Workspace, team: str, daemon: str, action: str, *, by: str = "") -> ControlRequest:
    """Queue ``action`` on ``daemon`` of the running ``team``; the team's supervisor acts on it at its next cycle."""
    if action not in ACTIONS:
        raise UsageError(f"unknown daemon action {action!r}", hint=f"use one of {', '.join(ACTIONS)}")
    check_name(daemon, what="daemon name")
    directory = workspace.state_dir("run", "control", check_name(team, what="team name"))
    at = time.time()
    path = directory / f"{time.time_ns():020d}-{os.getpid()}.json"
    atomic_write_json(path, {"schema": SCHEMA, "action": action, "daemon": daemon, "by": by[:100], "at": at},
                      indent=None)
    return ControlRequest(action, daemon, by[:100], at, path)


def pending_requests(workspace: Workspace, team: str) -> list[Path]:
    """The request files still waiting for ``team``'s supervisor, oldest first."""
    try:
        names = os.listdir(control_dir(workspace, team))
    except OSError:
        return []
    return [control_dir(workspace, team) / n for n in sorted(names) if n.endswith(".json") and not n.startswith(".")]


def take_requests(workspace: Workspace, team: str) -> tuple[list[ControlRequest], list[str]]:
    """Remove and return the waiting requests, oldest first, with a line for each file that was not one.

    A request file is untrusted input: whatever cannot be read as a request is
    removed and described, never acted on.
    """
    taken: list[ControlRequest] = []
    rejected: list[str] = []
    for path in pending_requests(workspace, team):
        try:
            with open(path, "rb") as handle:
                raw = handle.read(_MAX_BYTES + 1)
        except OSError:
            continue  # gone meanwhile
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        try:
            if len(raw) > _MAX_BYTES:
                raise ValueError(f"over {_MAX_BYTES} bytes")
            data = loads_json(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            data = typed(data, {"action": TEXT, "daemon": TEXT, "by": TEXT, "at": NUMBER})
            action, daemon = data.get("action") or "", data.get("daemon") or ""
            if action not in ACTIONS:
                raise ValueError(f"unknown action {action!r}")
            check_name(daemon, what="daemon name")
        except (ValueError, UsageError) as exc:
            rejected.append(f"{path.name}: {exc}")
            continue
        taken.append(ControlRequest(action, daemon, (data.get("by") or "")[:100], float(data.get("at") or 0.0), path))
    return taken, rejected
