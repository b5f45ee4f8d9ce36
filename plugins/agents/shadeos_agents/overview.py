"""What ``kin agents`` and ``kin models`` show, as plain data (the commands only print it)."""
from __future__ import annotations

from typing import Any

from shadeos_core.luciorbe import process_matches
from shadeos_core.teamstate import read_team_states
from shadeos_core.workspace import Workspace

from .records import AgentRecords, agent_dirs

__all__ = ["agent_rows", "model_rows"]

_LIVE_STATES = ("RUNNING", "STARTING")


def _team_agents(workspace: Workspace) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The agents to show (of the running team, else of the team whose agent wrote last), and their supervisor rows."""
    states = read_team_states(workspace)
    running = [s for s in states if s.get("running")]
    supervised: dict[str, dict[str, Any]] = {}
    for state in running or states:
        for daemon in state.get("daemons", []):
            if isinstance(daemon, dict) and daemon.get("type") == "agent":
                supervised[str(daemon.get("daemon_id"))] = daemon
    if supervised:
        return list(supervised), supervised
    latest: dict[str, str] = {}
    by_team: dict[str, list[str]] = {}
    for directory in agent_dirs(workspace):
        status = AgentRecords(workspace, directory.name).status() or {}
        team = str(status.get("team") or directory.name.split(".", 1)[0])
        by_team.setdefault(team, []).append(directory.name)
        latest[team] = max(latest.get(team, ""), str(status.get("updated") or ""))
    if not latest:
        return [], {}
    team = max(latest, key=lambda t: latest[t])
    return sorted(by_team[team]), {}


def agent_rows(workspace: Workspace) -> list[dict[str, Any]]:
    """One row per agent: daemon_id, role, model, state, cycles, input_tokens, output_tokens, last_task,
    last_outcome, reason, team, process."""
    ids, supervised = _team_agents(workspace)
    rows = []
    for daemon_id in ids:
        status = AgentRecords(workspace, daemon_id).status() or {}
        process = supervised.get(daemon_id, {}).get("state")
        own = str(status.get("state") or "")
        if process in _LIVE_STATES:
            state = own if own and own != "stopped" else process.lower()
        elif process:
            state = process.lower()
        else:
            state = own if _alive(status) else "stopped"
        rows.append({
            "daemon_id": daemon_id, "team": status.get("team") or daemon_id.split(".", 1)[0],
            "role": status.get("role") or "", "model": status.get("model"), "state": state,
            "reason": status.get("reason") or "" if state in ("waiting", "paused", "error") else "",
            "process": process, "cycles": int(status.get("cycles") or 0),
            "input_tokens": int(status.get("input_tokens") or 0),
            "output_tokens": int(status.get("output_tokens") or 0),
            "last_task": status.get("last_task"), "last_outcome": status.get("last_outcome"),
        })
    return rows


def _alive(status: dict[str, Any]) -> bool:
    pid, started = status.get("pid"), status.get("pid_started")
    if not isinstance(pid, int) or not isinstance(started, (int, float)) or status.get("state") == "stopped":
        return False
    return process_matches(pid, float(started))


def model_rows(workspace: Workspace) -> dict[str, Any]:
    """``{"default": {...}, "models": [...]}`` for ``kin models`` (keys: whether set, never their value)."""
    import llm

    from .config import AgentsConfig
    from .modelchoice import choose_model, key_state

    choice = choose_model(None, AgentsConfig.from_workspace(workspace), workspace)
    entries = llm.get_models_with_aliases()
    default_model = None
    rows = []
    for entry in entries:
        model = entry.model or entry.async_model
        if model is None:
            continue
        names = {model.model_id, *entry.aliases}
        is_default = choice.model in names
        if is_default:
            default_model = model
        state = key_state(model)
        rows.append({"model_id": model.model_id, "aliases": list(entry.aliases), "default": is_default,
                     "supports_tools": bool(getattr(model, "supports_tools", False)),
                     "can_stream": bool(getattr(model, "can_stream", False)),
                     "key_name": state.needed, "key_present": state.present if state.needed else None,
                     "key_env_var": state.env_var})
    default: dict[str, Any] = {**choice.to_json(), "known": default_model is not None, "key_name": None,
                               "key_present": None}
    if default_model is not None:
        state = key_state(default_model)
        default.update({"model_id": default_model.model_id, "key_name": state.needed,
                        "key_present": state.present if state.needed else None})
    return {"default": default, "models": rows}
