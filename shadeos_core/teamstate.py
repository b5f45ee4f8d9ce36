"""The state file a running team publishes (``.kin/run/teams/<team>.json``) for ``kin status``.

The ``run_team`` provider writes it (atomically) while the team runs; anyone
may read it. Shape: ``{"team", "pid", "pid_started", "started_at",
"updated_at", "phase", "daemons": [{"name", "state", "pid", "restarts", …}],
"events": [...]}``.

The file is read as untrusted input, only through this module
(:func:`read_team_state`, :func:`read_team_states`): what has the published
shape is kept, any value of the wrong type dropped (so a reader's defaults
apply), and a file that is not a JSON object is no state.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from .fsio import atomic_write_json, read_json
from .processes import process_matches
from .shapes import FLAG, INT, NUMBER, OBJECT, TEXT, objects, texts, typed
from .workspace import Workspace, check_name

__all__ = ["state_path", "write_team_state", "read_team_state", "read_team_states", "remove_team_state",
           "clean_team_state", "running_processes"]


def state_path(workspace: Workspace, team: str) -> Path:
    """Where ``team`` publishes its state (the directory is created: this is the writer's path)."""
    return workspace.state_dir("run", "teams") / f"{check_name(team, what='team name')}.json"


def _states_dir(workspace: Workspace) -> Path:
    return workspace.kin_dir / "run" / "teams"


def write_team_state(workspace: Workspace, team: str, state: dict[str, Any]) -> None:
    atomic_write_json(state_path(workspace, team), {"team": team, **state}, indent=None)


def remove_team_state(workspace: Workspace, team: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(state_path(workspace, team))


def read_team_state(workspace: Workspace, team: str) -> dict[str, Any] | None:
    """The state ``team`` published, with ``running`` set; ``None`` when there is none or it is unreadable."""
    return _load(_states_dir(workspace) / f"{check_name(team, what='team name')}.json", team)


def read_team_states(workspace: Workspace) -> list[dict[str, Any]]:
    """Every published team state, each with ``running`` set from its pid and start time."""
    directory = _states_dir(workspace)
    states: list[dict[str, Any]] = []
    if not directory.is_dir():
        return states
    for path in sorted(directory.glob("*.json")):
        data = _load(path, path.stem)
        if data is not None:
            states.append(data)
    return states


def running_processes(state: dict[str, Any] | None) -> list[tuple[int, float]]:
    """The daemons and orphans a (cleaned) state names whose process still runs, as (pid, start time)."""
    if state is None:
        return []
    found: list[tuple[int, float]] = []
    for entry in [*state.get("daemons", []), *state.get("orphans", [])]:
        pid, started = entry.get("pid"), entry.get("pid_started")
        if isinstance(pid, int) and isinstance(started, (int, float)) and process_matches(pid, started):
            found.append((pid, float(started)))
    return found


def _load(path: Path, team: str) -> dict[str, Any] | None:
    try:
        data = clean_team_state(read_json(path), team)
    except (OSError, ValueError):
        return None
    if data is not None:
        pid, started = data.get("pid"), data.get("pid_started")
        data["running"] = isinstance(pid, int) and isinstance(started, (int, float)) and process_matches(pid, started)
    return data


_TEAM_FIELDS = {"pid": INT, "pid_started": NUMBER, "started_at": TEXT, "updated_at": TEXT, "phase": TEXT,
                "cycle": NUMBER, "tasks": OBJECT}
_DAEMON_FIELDS = {"name": TEXT, "daemon_id": TEXT, "type": TEXT, "meta": FLAG, "state": TEXT, "pid": INT,
                  "pid_started": NUMBER, "started": NUMBER, "restarts": INT, "start_failures": INT,
                  "exit_code": INT, "reason": TEXT, "active": FLAG, "status": TEXT, "task": TEXT,
                  "progress": TEXT, "current_file": TEXT, "heartbeat_age": NUMBER, "late": FLAG, "cpu": NUMBER,
                  "memory": NUMBER, "conflict": OBJECT, "held_task": TEXT, "model": TEXT, "input_tokens": INT,
                  "output_tokens": INT, "failing": TEXT, "last_error": TEXT}
_ENTRY_FIELDS = {"pid": INT, "pid_started": NUMBER}


def clean_team_state(data: Any, team: str) -> dict[str, Any] | None:
    """A published state as readers expect it, or ``None`` when ``data`` is not one (see the module doc)."""
    if not isinstance(data, dict):
        return None
    state = typed(data, _TEAM_FIELDS)
    state["team"] = data["team"] if isinstance(data.get("team"), str) else team
    state["daemons"] = objects(data.get("daemons"), _DAEMON_FIELDS)
    state["conflicts"] = objects(data.get("conflicts"))
    state["orphans"] = objects(data.get("orphans"), _ENTRY_FIELDS)
    state["events"] = texts(data.get("events"))
    return state
