"""``kin daemon stop|start|restart NAME…``: one daemon of a running team, from another terminal."""
from __future__ import annotations

import difflib
import os
import time
from typing import Any

import rich_click as click
from click.exceptions import Exit

from shadeos_core.cli.app import App
from shadeos_core.cli.output import print_json
from shadeos_core.errors import UsageError
from shadeos_core.workspace import Workspace

__all__ = ["daemon"]

#: Seconds to wait for the team's supervisor to take a request before saying it did not.
TAKE_TIMEOUT = 10.0


@click.group("daemon")
def daemon() -> None:
    """Stop, start or restart one daemon of a running team (the team goes on).

    The team's orchestrator acts at its next cycle, the way it stops daemons at
    kin stop: SIGTERM, then a kill of the daemon's whole tree after its
    stop_timeout. A stopped daemon stays down, whatever its phase or restart
    policy, until kin daemon start; a restart does not count towards flapping.
    """


def _team_of(workspace: Workspace, names: tuple[str, ...], team: str | None) -> tuple[str, list[str]]:
    """The running team that has every daemon in ``names``, and the names it knows (a clear error otherwise)."""
    from shadeos_core.teamstate import read_team_state

    from .teamlock import running_teams

    holders = [h for h in running_teams(workspace) if team is None or h.team == team]
    if not holders:
        raise UsageError(f"no team {'named ' + repr(team) + ' ' if team else ''}is running in {workspace.root}",
                         hint="see kin status")
    known: dict[str, list[str]] = {}
    for holder in holders:
        state = read_team_state(workspace, holder.team) or {}
        known[holder.team] = [str(d.get("name")) for d in state.get("daemons", []) if isinstance(d, dict)]
    fits = [t for t, daemons in known.items() if all(n in daemons for n in names)]
    if len(fits) == 1:
        return fits[0], known[fits[0]]
    if len(fits) > 1:
        raise UsageError(f"{', '.join(names)} is in more than one running team ({', '.join(fits)})",
                         hint="say which with --team")
    everyone = sorted({d for daemons in known.values() for d in daemons})
    missing = next(n for n in names if not any(n in daemons for daemons in known.values()))
    close = difflib.get_close_matches(missing, everyone, n=1)
    raise UsageError(f"no daemon {missing!r} in {'team ' + repr(team) if team else 'the running teams'}",
                     hint=f"did you mean {close[0]!r}?" if close else f"daemons: {', '.join(everyone) or 'none'}")


def _act(app: App, action: str, names: tuple[str, ...], team: str | None, no_wait: bool, as_json: bool) -> None:
    from shadeos_core.control import request_control
    from shadeos_core.teamstate import read_team_state

    workspace = app.kernel.workspace
    team_name, _ = _team_of(workspace, names, team)
    by = os.environ.get("USER", "")
    requests = [request_control(workspace, team_name, name, action, by=by) for name in names]
    deadline = time.monotonic() + TAKE_TIMEOUT
    while not no_wait and any(r.path.exists() for r in requests) and time.monotonic() < deadline:
        time.sleep(0.05)
    taken = not any(r.path.exists() for r in requests)
    if not no_wait and taken:
        time.sleep(0.3)  # the state the supervisor publishes next says what it did
    state = read_team_state(workspace, team_name) or {}
    daemons = {str(d.get("name")): d for d in state.get("daemons", []) if isinstance(d, dict)}
    results: list[dict[str, Any]] = [
        {"team": team_name, "daemon": r.daemon, "action": action, "taken": not r.path.exists(),
         "state": daemons.get(r.daemon, {}).get("state")} for r in requests]
    if as_json:
        print_json(results)
    else:
        for r in results:
            if r["taken"]:
                click.echo(f"{team_name}.{r['daemon']}: {action} taken by the orchestrator; now {r['state']}")
            else:
                click.echo(f"{team_name}.{r['daemon']}: {action} requested" +
                           ("" if no_wait else " (the orchestrator has not taken it yet)"))
    if not no_wait and not taken:
        raise Exit(1)


def _command(action: str, doc: str) -> Any:
    @daemon.command(action, help=doc)
    @click.argument("names", nargs=-1, required=True, metavar="NAME…")
    @click.option("--team", default=None, help="The running team (needed when several run here).")
    @click.option("--no-wait", is_flag=True, help="Queue the request and return at once.")
    @click.option("--json", "as_json", is_flag=True, help="Print a JSON array: team, daemon, action, taken, state.")
    @click.pass_obj
    def run(app: App, names: tuple[str, ...], team: str | None, no_wait: bool, as_json: bool) -> None:
        _act(app, action, names, team, no_wait, as_json)

    return run


_command("stop", "Stop NAME… gracefully and keep them down (phases and restart policies do not start them).")
_command("start", "Start NAME… again: a stopped, exited or FATAL daemon (its failed starts forgotten).")
_command("restart", "Stop NAME… gracefully and start them again at once (not counted towards flapping).")
