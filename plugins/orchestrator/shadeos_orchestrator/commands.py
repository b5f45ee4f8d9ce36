"""``kin stop [TEAM]`` and ``kin task add|list|retry|cancel``: talking to running teams from another terminal."""
from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING

import rich_click as click
from click.exceptions import Exit

from shadeos_core.cli.app import App
from shadeos_core.cli.output import print_json, print_table, shown
from shadeos_core.durations import format_duration
from shadeos_core.errors import UsageError

if TYPE_CHECKING:
    from shadeos_core.tasks import Task

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
        raise Exit(1)


@click.group("task")
def task() -> None:
    """The task queue (.kin/tasks/): daemons of a running team take work from it."""


@task.command("add")
@click.argument("text")
@click.option("--to", "to", default=None, metavar="DAEMON", help="Reserve the task for one daemon (name or team.daemon).")
@click.option("--json", "as_json", is_flag=True, help="Print the queued task as JSON.")
@click.pass_obj
def task_add(app: App, text: str, to: str | None, as_json: bool) -> None:
    """Queue a task described by TEXT; an idle daemon that takes tasks gets it.

    --to must name a daemon of a team here. When no running daemon can take the task, it is queued all the
    same and a note on stderr says why it waits.
    """
    from shadeos_core.tasks import TaskQueue

    from .takers import check_target, waiting_note

    if to is not None:
        check_target(app.kernel, app.cwd, to)
    added = TaskQueue(app.kernel.workspace).add(text, to=to, by=os.environ.get("USER", ""))
    if as_json:
        print_json(added.to_json())
    else:
        click.echo(f"queued task {added.id}" + (f" for {to}" if to else ""))
    note = waiting_note(app.kernel, to)
    if note:
        click.echo(f"kin: note: {note}", err=True)


@task.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(["queued", "claimed", "done", "failed"]),
              help="Only tasks in this state (repeatable; default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of tasks.")
@click.pass_obj
def task_list(app: App, states: tuple[str, ...], as_json: bool) -> None:
    """List tasks: queued (resting after a failure, if so), claimed (with their holder), done, and failed
    (failed [tasks] max_failures times: kin task retry ID puts one back)."""
    from shadeos_core.tasks import TaskQueue

    queue = TaskQueue(app.kernel.workspace)
    tasks = queue.list(*states)
    for path, target, why in queue.damaged:
        click.echo(f"kin: warning: damaged task file {app.kernel.workspace.relative(path)} set aside in "
                   f"{app.kernel.workspace.relative(target)} ({why})", err=True)
    if as_json:
        print_json([t.to_json() for t in tasks])
        return
    if not tasks:
        click.echo("no tasks")
        return
    now = time.time()

    def state(t: Task) -> str:
        if t.resting(now) and t.retry_at is not None:
            return f"queued (retry in {format_duration(t.retry_at - now)})"
        if t.state == "done" and isinstance(t.result, dict) and t.result.get("outcome") == "cancelled":
            return "cancelled"
        return t.state

    print_table(["id", "state", "holder", "to", "tries", "text"],
                [(t.id, state(t), t.holder or "", t.to or "", f"{t.attempts}" + (f" ({t.failures} failed)"
                                                                                 if t.failures else ""), shown(t.text))
                 for t in tasks])
    for t in tasks:  # why a task failed, whole, whatever the table cut
        if t.failures and t.state in ("queued", "failed"):
            click.echo(f"  {t.id}: failed: {shown(t.last_reason)}")


@task.command("retry")
@click.argument("task_ids", metavar="ID...", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every failed task.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the tasks put back.")
@click.pass_obj
def task_retry(app: App, task_ids: tuple[str, ...], every: bool, as_json: bool) -> None:
    """Put failed tasks back in the queue, their failures forgotten (kin task list --state failed lists them)."""
    from shadeos_core.tasks import TaskQueue

    queue = TaskQueue(app.kernel.workspace)
    if every:
        task_ids = tuple(t.id for t in queue.list("failed"))
    elif not task_ids:
        raise UsageError("name the failed tasks to retry", hint="kin task retry ID… or kin task retry --all")
    back = []
    for task_id in task_ids:
        task = queue.retry(task_id)
        if task is None:
            raise UsageError(f"no failed task {task_id!r}", hint="kin task list --state failed lists them")
        back.append(task)
    if as_json:
        print_json([t.to_json() for t in back])
    else:
        click.echo(f"{len(back)} task(s) back in the queue" if back else "no failed tasks")


@task.command("cancel")
@click.argument("task_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the tasks cancelled.")
@click.pass_obj
def task_cancel(app: App, task_ids: tuple[str, ...], as_json: bool) -> None:
    """Cancel tasks that are not done (queued, claimed or failed): they move to done, cancelled. A daemon that
    holds one is not interrupted; what it reports afterwards is ignored."""
    from shadeos_core.tasks import TaskQueue

    queue = TaskQueue(app.kernel.workspace)
    cancelled, refused = [], []
    for task_id in dict.fromkeys(task_ids):
        task = queue.cancel(task_id, by=os.environ.get("USER", ""))
        if task is not None:
            cancelled.append(task)
        else:
            refused.append(f"{task_id!r} is already done" if queue.get(task_id) is not None else f"no task {task_id!r}")
    # what was cancelled is said before what was not: nothing done goes unreported
    if as_json:
        print_json([t.to_json() for t in cancelled])
    else:
        for t in cancelled:
            click.echo(f"cancelled task {t.id}" + (f" (it was held by {t.history[-1].get('holder')})"
                                                   if t.history[-1].get("holder") else ""))
    if refused:
        raise UsageError(f"not cancelled: {'; '.join(refused)}", hint="kin task list shows the tasks and their ids")
