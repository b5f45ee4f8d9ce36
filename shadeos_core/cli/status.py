"""``kin status``: what runs in this workspace, read from the state running teams publish."""
from __future__ import annotations

import time

import rich_click as click

from ..durations import format_duration
from ..errors import UsageError
from ..teamstate import read_team_states
from .app import App
from .output import print_json, print_table, tokens_cell


@click.command("status")
@click.argument("team", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print an object: team, pid, running, daemons[…].")
@click.pass_obj
def command(app: App, team: str | None, as_json: bool) -> None:
    """Show the running team (or TEAM): each daemon's state, pid, restarts and task."""
    workspace = app.kernel.workspace
    states = read_team_states(workspace)
    if team is not None:
        states = [s for s in states if s.get("team") == team]
    running = [s for s in states if s["running"]]
    chosen = running or states
    if len(chosen) > 1 and team is None:
        names = ", ".join(str(s.get("team")) for s in chosen)
        raise UsageError(f"several teams have state here ({names})", hint="name one: kin status TEAM")
    state = chosen[0] if chosen else {"team": team, "pid": None, "running": False, "daemons": []}
    if as_json:
        print_json({"workspace": str(workspace.root), **state})
        return
    if not chosen:
        click.echo(f"no team is running in {workspace.root}" + (f" under the name {team!r}" if team else ""))
        return
    since = state.get("started_at", "")
    status = "running" if state["running"] else "not running (last state shown)"
    click.echo(f"team {state['team']}  pid {state.get('pid')}  {status}  since {since}  phase {state.get('phase') or '-'}")
    now = time.time()
    rows = []
    models = any(d.get("model") for d in state.get("daemons", []))
    for d in state.get("daemons", []):
        uptime = format_duration(now - d["started"]) if d.get("started") else ""
        flags = "".join(f" {flag}" for flag in ("late", "conflict") if d.get(flag))
        beat = d.get("heartbeat_age")
        rows.append((d.get("name"), f"{d.get('state')}{flags}", d.get("pid") or "", uptime, d.get("restarts", 0),
                     format_duration(beat) if isinstance(beat, (int, float)) else "",
                     *((d.get("model") or "", tokens_cell(d)) if models else ()), d.get("task", ""), d.get("progress", "")))
    print_table(["daemon", "state", "pid", "uptime", "restarts", "beat", *(("model", "tokens") if models else ()),
                 "task", "progress"], rows)
    for d in state.get("daemons", []):
        # a daemon waiting for something a person must do says so whole, whatever the table cut
        if str(d.get("progress", "")).startswith(("waiting:", "paused:")):
            click.echo(f"  {d.get('name')}: {d['progress']}")
    for conflict in state.get("conflicts", []):
        click.echo(f"  conflict on {conflict.get('file')}: {conflict.get('waiting')} waits for {conflict.get('holder')}")
    for event in state.get("events", [])[-5:]:
        click.echo(f"  {event}")
