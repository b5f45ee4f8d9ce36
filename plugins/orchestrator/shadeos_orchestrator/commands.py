"""``kin stop [TEAM]`` and ``kin task add|list``: talking to running teams from another terminal."""
from __future__ import annotations

import os
import signal
import time

import rich_click as click

from shadeos_core.cli.app import App
from shadeos_core.cli.output import print_json, print_table
from shadeos_core.errors import UsageError

__all__ = ["stop", "task"]


@click.command("stop")
@click.argument("team", required=False)
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds to wait for the team to finish stopping.")
@click.option("--no-wait", is_flag=True, help="Send the stop request and return at once.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array: team, pid, stopped.")
@click.pass_obj
def stop(app: App, team: str | None, timeout: float, no_wait: bool, as_json: bool) -> None:
    """Stop TEAM (or every team running here) gracefully, like Ctrl+C in its terminal.

    The orchestrator stops each daemon (SIGTERM, then a kill of its whole tree
    after its stop_timeout) and exits; this waits until it has.
    """
    from .teamlock import running_teams

    holders = running_teams(app.kernel.workspace)
    if team is not None:
        holders = [h for h in holders if h.team == team]
    if not holders:
        where = app.kernel.workspace.root
        raise UsageError(f"no team {'named ' + repr(team) + ' ' if team else ''}is running in {where}",
                         hint="see kin status")
    for holder in holders:
        try:
            os.kill(holder.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    results = []
    deadline = time.monotonic() + timeout
    for holder in holders:
        while not no_wait and holder.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        results.append({"team": holder.team, "pid": holder.pid, "stopped": not holder.alive})
    if as_json:
        print_json(results)
    else:
        for r in results:
            word = "stopped" if r["stopped"] else ("stopping" if no_wait else "still stopping")
            click.echo(f"team {r['team']} (pid {r['pid']}): {word}")
    if not no_wait and not all(r["stopped"] for r in results):
        raise click.exceptions.Exit(1)


@click.group("task")
def task() -> None:
    """The task queue (.kin/tasks/): daemons of a running team take work from it."""


@task.command("add")
@click.argument("text")
@click.option("--to", "to", default=None, metavar="DAEMON", help="Reserve the task for one daemon (name or team.daemon).")
@click.option("--json", "as_json", is_flag=True, help="Print the queued task as JSON.")
@click.pass_obj
def task_add(app: App, text: str, to: str | None, as_json: bool) -> None:
    """Queue a task described by TEXT; an idle daemon that takes tasks gets it."""
    from shadeos_core.tasks import TaskQueue

    added = TaskQueue(app.kernel.workspace).add(text, to=to, by=os.environ.get("USER", ""))
    if as_json:
        print_json(added.to_json())
    else:
        click.echo(f"queued task {added.id}" + (f" for {to}" if to else ""))


@task.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(["queued", "claimed", "done"]),
              help="Only tasks in this state (repeatable; default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of tasks.")
@click.pass_obj
def task_list(app: App, states: tuple[str, ...], as_json: bool) -> None:
    """List tasks: queued, claimed (with their holder) and done."""
    from shadeos_core.tasks import TaskQueue

    tasks = TaskQueue(app.kernel.workspace).list(*states)
    if as_json:
        print_json([t.to_json() for t in tasks])
        return
    if not tasks:
        click.echo("no tasks")
        return
    print_table(["id", "state", "holder", "to", "attempts", "text"],
                [(t.id, t.state, t.holder or "", t.to or "", t.attempts, t.text) for t in tasks])
