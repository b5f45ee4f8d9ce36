"""The Team page's controls: stop or restart one daemon, stop a team, start a team.

A running team's orchestrator supervises its daemons; these controls talk to it the way the command line
does. Stopping, starting or restarting one daemon is a control request (:mod:`shadeos_core.control`, as
``kin daemon stop|start|restart``): the orchestrator stops the daemon gracefully (SIGTERM, then a kill of its
tree after its ``stop_timeout``), keeps a stopped one down until it is started, and starts a restarted one
again at once. Stopping a team is ``kin stop TEAM``: SIGTERM to its orchestrator. Starting a team is ``kin run TEAM`` in a session of its own (it goes on after the
server stops; its output goes to ``.kin/logs/web-<team>.out``). Every process is checked by pid *and* start
time before a signal is sent, so a reused pid is never hit.
"""
from __future__ import annotations

import difflib
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from shadeos_core.errors import ConfigError, UsageError
from shadeos_core.processes import process_matches
from shadeos_core.teamstate import read_team_state
from shadeos_core.workspace import check_name

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel
    from shadeos_core.workspace import Workspace

__all__ = ["stop_daemon", "start_daemon", "restart_daemon", "stop_team", "start_team"]


def _running_state(workspace: Workspace, team: str) -> dict[str, Any]:
    state = read_team_state(workspace, check_name(team, what="team name"))
    if state is None or not state["running"]:
        raise UsageError(f"team {team!r} is not running in {workspace.root}", hint="see kin status")
    return state


def _daemon(workspace: Workspace, team: str, name: str) -> dict[str, Any]:
    state = _running_state(workspace, team)
    names = [str(d.get("name")) for d in state["daemons"]]
    for daemon in state["daemons"]:
        if isinstance(daemon, dict) and daemon.get("name") == name:
            return dict(daemon)
    close = difflib.get_close_matches(name, names, n=1)
    raise UsageError(f"team {team!r} has no daemon {name!r}",
                     hint=f"did you mean {close[0]!r}?" if close else f"its daemons: {', '.join(names) or 'none'}")


def _live_pid(entry: dict[str, Any], what: str) -> int:
    pid, started = entry.get("pid"), entry.get("pid_started")
    if not isinstance(pid, int) or not isinstance(started, (int, float)) or not process_matches(pid, float(started)):
        raise UsageError(f"{what} has no running process (state {entry.get('state') or 'unknown'})",
                         hint="the Team page shows its state and why")
    return pid


def _signal(pid: int, signum: int, what: str) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        raise UsageError(f"{what} ended meanwhile", hint="the Team page shows its state") from None


def _request(workspace: Workspace, team: str, name: str, action: str) -> None:
    from shadeos_core.control import request_control

    _daemon(workspace, team, name)  # a team that runs, and a daemon it has (else the closest name)
    request_control(workspace, team, name, action, by="kin web")


def stop_daemon(workspace: Workspace, team: str, name: str) -> str:
    _request(workspace, team, name, "stop")
    return f"asked team {team} to stop {name} (it stays down until started)"


def start_daemon(workspace: Workspace, team: str, name: str) -> str:
    _request(workspace, team, name, "start")
    return f"asked team {team} to start {name}"


def restart_daemon(workspace: Workspace, team: str, name: str) -> str:
    _request(workspace, team, name, "restart")
    return f"asked team {team} to restart {name}"


def stop_team(workspace: Workspace, team: str) -> str:
    what = f"team {team}"
    pid = _live_pid(_running_state(workspace, team) | {"state": "running"}, what)
    _signal(pid, signal.SIGTERM, what)
    return f"asked {what} (pid {pid}) to stop its daemons and exit"


def start_team(kernel: Kernel, cwd: str, team: str, started: list[subprocess.Popen[bytes]]) -> str:
    """Start ``team`` as ``kin run TEAM`` would, in a session of its own; the process is added to ``started``."""
    workspace = kernel.workspace
    resolved = kernel.teams(cwd=cwd).get(check_name(team, what="team name"))  # an unknown name: the closest
    current = read_team_state(workspace, resolved.name)
    if current is not None and current["running"]:
        raise UsageError(f"team {resolved.name!r} is already running (pid {current.get('pid')})",
                         hint="stop it first")
    if not kernel.hooks.has("run_team"):
        raise ConfigError(f"no installed plugin can run teams, so team {resolved.name!r} cannot start",
                          hint="pip install shadeos-orchestrator (in this repository: pip install -e "
                               "plugins/orchestrator)")
    out = workspace.state_dir("logs") / f"web-{resolved.name}.out"
    with open(out, "ab") as handle:
        proc = subprocess.Popen([sys.executable, "-m", "shadeos_core", "run", resolved.name], cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)
    started.append(proc)
    return f"started team {resolved.name} (pid {proc.pid}; its output: .kin/logs/{out.name})"
