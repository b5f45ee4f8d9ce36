"""The state file a running team publishes (``.kin/run/teams/<team>.json``) for ``kin status``.

The ``run_team`` provider writes it (atomically) while the team runs; anyone
may read it. Shape: ``{"team", "pid", "pid_started", "started_at",
"updated_at", "phase", "daemons": [{"name", "state", "pid", "restarts", …}],
"events": [...]}``.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from .fsio import atomic_write_json, read_json
from .luciorbe import process_matches
from .workspace import Workspace, check_name

__all__ = ["state_path", "write_team_state", "read_team_states", "remove_team_state"]


def state_path(workspace: Workspace, team: str) -> Path:
    return workspace.state_dir("run", "teams") / f"{check_name(team, what='team name')}.json"


def write_team_state(workspace: Workspace, team: str, state: dict[str, Any]) -> None:
    atomic_write_json(state_path(workspace, team), {"team": team, **state}, indent=None)


def remove_team_state(workspace: Workspace, team: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(state_path(workspace, team))


def read_team_states(workspace: Workspace) -> list[dict[str, Any]]:
    """Every published team state, each with ``running`` set from its pid and start time."""
    directory = workspace.kin_dir / "run" / "teams"
    states: list[dict[str, Any]] = []
    if not directory.is_dir():
        return states
    for path in sorted(directory.glob("*.json")):
        try:
            data = read_json(path)
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        pid, started = data.get("pid"), data.get("pid_started")
        data["running"] = isinstance(pid, int) and isinstance(started, (int, float)) and process_matches(pid, started)
        states.append(data)
    return states
