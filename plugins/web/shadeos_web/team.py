"""What the Team page shows: the published state of each team here, the phase and its gauge, the teams that
can be started. Read through the core's readers only (``teamstate``, ``phase``)."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from shadeos_core.errors import KinError
from shadeos_core.phase import read_phase_record
from shadeos_core.teamstate import read_team_states

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel
    from shadeos_core.workspace import Workspace

__all__ = ["team_view", "phase_view", "startable_teams"]

#: What the map plugin uses when kin.toml's [map] does not say (docs/plugins/map.md).
_CONVERGE_AT, _EXPAND_BELOW = 0.60, 0.50
_UP = ("STARTING", "RUNNING", "STOPPING")


def _fraction(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def phase_view(workspace: Workspace) -> dict[str, Any] | None:
    """The phase ``phase.json`` holds, with its token gauge and thresholds; ``None`` when there is none."""
    record = read_phase_record(workspace)
    if record is None:
        return None
    try:
        section = workspace.section("map")
    except KinError:
        section = {}
    ratio = _fraction(record.get("ratio"), 0.0)
    return {"phase": str(record.get("phase") or ""), "total_tokens": record.get("total_tokens"),
            "budget": record.get("budget"), "ratio": ratio, "gauge": min(1.0, max(0.0, ratio)),
            "converge_at": _fraction(section.get("converge_at"), _CONVERGE_AT),
            "expand_below": _fraction(section.get("expand_below"), _EXPAND_BELOW),
            "updated_at": str(record.get("updated_at") or "")}


def team_view(workspace: Workspace, now: float | None = None) -> list[dict[str, Any]]:
    """Every published team state (running ones first), each daemon with its ``uptime`` in seconds."""
    now = time.time() if now is None else now
    states = read_team_states(workspace)
    for state in states:
        for daemon in state["daemons"]:
            started = daemon.get("started")
            up = daemon.get("state") in _UP and isinstance(started, (int, float))
            daemon["uptime"] = now - float(started) if up and isinstance(started, (int, float)) else None
            daemon["alive"] = daemon.get("state") in _UP and isinstance(daemon.get("pid"), int)
    return sorted(states, key=lambda s: (not s["running"], str(s.get("team"))))


def startable_teams(kernel: Kernel, cwd: str) -> list[dict[str, Any]]:
    """The teams ``kin teams`` lists: name, description, daemons, or the error that keeps one from starting."""
    try:
        teams = kernel.teams(cwd=cwd)
    except KinError as exc:
        return [{"name": "", "valid": False, "error": str(exc), "daemons": []}]
    rows = []
    for name in teams.names():
        team = teams.teams.get(name)
        if team is not None:
            rows.append({"name": name, "valid": True, "description": team.description,
                         "daemons": [s.name for s in team.members()]})
        else:
            rows.append({"name": name, "valid": False, "error": str(teams.errors.get(name, "")), "daemons": []})
    return rows
