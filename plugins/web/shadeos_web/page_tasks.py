"""The Tasks page (``/tasks``): the queue with holders and states; add, assign, cancel (``shadeos_core.tasks``).

Assigning a queued task to a daemon re-queues it for that daemon: the task is cancelled and a copy reserved
for the daemon is queued (the queue has no other way to change a task's addressee without racing a claim).
"""
from __future__ import annotations

import difflib
import getpass
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from shadeos_core.errors import KinError, UsageError
from shadeos_core.tasks import TaskQueue, addressed_to

from .site import Form, Site, action

__all__ = ["routes", "fragment"]


def _by() -> str:
    try:
        return f"{getpass.getuser()} (kin web)"
    except (KeyError, OSError):
        return "kin web"


def daemon_ids(site: Site) -> list[str]:
    """Every daemon id of the teams here that validate."""
    ids: list[str] = []
    try:
        teams = site.kernel.teams(cwd=site.cwd)
    except KinError:
        return ids
    for name in teams.names():
        team = teams.teams.get(name)
        if team is not None:
            ids += [spec.daemon_id for spec in team.members()]
    return ids


def check_target(site: Site, to: str) -> str:
    """``to`` when a team here has that daemon (full id or bare name), else a one-line error naming the closest."""
    ids = daemon_ids(site)
    if any(addressed_to(to, daemon_id) for daemon_id in ids):
        return to
    names = sorted({*ids, *(i.split(".", 1)[1] for i in ids)})
    close = difflib.get_close_matches(to, names, n=1)
    raise UsageError(f"no team here has a daemon {to!r} to take this task",
                     hint=f"did you mean {close[0]!r}?" if close else "the Team page lists the daemons")


def _row(task: Any, now: float) -> dict[str, Any]:
    state = task.state
    if task.state == "done" and isinstance(task.result, dict) and task.result.get("outcome") == "cancelled":
        state = "cancelled"
    elif task.resting(now):
        state = "queued (resting)"
    return {"id": task.id, "state": state, "holder": task.holder or "", "to": task.to or "", "text": task.text,
            "attempts": task.attempts, "failures": task.failures, "open": task.state != "done",
            "reason": task.last_reason if task.failures else ""}


def fragment(site: Site, request: Request) -> str:
    queue = TaskQueue(site.workspace)
    now = time.time()
    tasks = [_row(t, now) for t in queue.list()]
    order = {"claimed": 0, "queued": 1, "queued (resting)": 1, "failed": 2, "done": 3, "cancelled": 3}
    tasks.sort(key=lambda t: (order.get(t["state"], 4), t["id"]))
    return site.fragment("tasks_live.html", tasks=tasks, daemons=daemon_ids(site))


def routes(site: Site) -> list[BaseRoute]:
    def page(request: Request) -> Response:
        return site.page(request, "tasks.html", title="Tasks", live=fragment(site, request), stream="/live/tasks",
                         daemons=daemon_ids(site))

    def add(s: Site, request: Request, form: Form) -> str:
        to = form.get("to", "").strip() or None
        if to is not None:
            check_target(s, to)
        task = TaskQueue(s.workspace).add(form.get("text", ""), to=to, by=_by())
        return f"queued task {task.id}" + (f" for {to}" if to else "")

    def assign(s: Site, request: Request, form: Form) -> str:
        to = check_target(s, form.get("to", "").strip() or "-")
        queue = TaskQueue(s.workspace)
        task_id = request.path_params["task"]
        task = queue.get(task_id)
        if task is None or task.state != "queued":
            raise UsageError(f"no queued task {task_id!r}", hint="only a queued task can be assigned")
        if queue.cancel(task_id, by=_by()) is None:
            raise UsageError(f"task {task_id!r} was taken meanwhile")
        copy = queue.add(task.text, to=to, by=_by(), data={"assigned_from": task_id})
        return f"task {task_id} re-queued for {to} as {copy.id}"

    def cancel(s: Site, request: Request, form: Form) -> str:
        task_id = request.path_params["task"]
        queue = TaskQueue(s.workspace)
        task = queue.cancel(task_id, by=_by())
        if task is None:
            raise UsageError(f"task {task_id!r} is already done" if queue.get(task_id) else f"no task {task_id!r}")
        return f"cancelled task {task.id}"

    return [Route("/tasks", page), Route("/tasks/add", action(add, site), methods=["POST"]),
            Route("/tasks/{task}/assign", action(assign, site), methods=["POST"]),
            Route("/tasks/{task}/cancel", action(cancel, site), methods=["POST"])]
