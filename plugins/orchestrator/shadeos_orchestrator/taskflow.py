"""Handing out the task queue: queued tasks go to idle daemons whose type accepts tasks (claimed on
their behalf and mailed as a ``"task"`` message); a task whose holder died or went silent goes back."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from shadeos_core.mailbox import Mailbox
from shadeos_core.tasks import Task, TaskQueue, TaskRetries, addressed_to
from shadeos_core.workspace import Workspace

from .states import RUNNING, STARTING, STOPPED, STOPPING, Child

__all__ = ["TaskFlow"]


class TaskFlow:
    """One pass per cycle over ``.kin/tasks/``: requeue what is orphaned, then hand out what waits."""

    def __init__(self, workspace: Workspace, sender: str, accepts: Callable[[Child], bool],
                 retries: TaskRetries | None = None) -> None:
        self.queue = TaskQueue(workspace, retries)
        self.workspace = workspace
        self.sender = sender
        self.accepts = accepts
        self.held: dict[str, Task] = {}  # daemon id -> the task it holds
        self.sent: dict[str, str] = {}  # task id -> the message that handed it over (while it is held)
        self.said_waiting: set[str] = set()  # tasks said to wait for a daemon this team does not have

    def step(self, children: Mapping[str, Child]) -> list[tuple[str | None, str, dict[str, Any]]]:
        """Returns events ``(daemon_id or None for the team, kind, data)``."""
        events: list[tuple[str | None, str, dict[str, Any]]] = []
        before, self.held = self.held, {}
        for task in self.queue.list("claimed"):
            child = children.get(task.holder or "")
            if child is None:
                continue  # not one of this team's daemons
            why, failed = self._orphaned(task, child)
            if not why:
                why, failed = self._lost(task, child)
            if why:
                back = self.queue.release(task.id, holder=child.daemon_id, reason=why, failed=failed)
                if back is not None:
                    event = "failed" if back.state == "failed" else "requeued"
                    events.append((child.daemon_id, "task", {"task": task.id, "event": event, "reason": why,
                                                             "text": task.text}))
                continue
            self.held[child.daemon_id] = task
        held_ids = {task.id for task in self.held.values()}
        for daemon_id, task in before.items():
            if task.id not in held_ids and daemon_id in children:
                events.extend(self._given_back(daemon_id, task))
        self.sent = {task_id: name for task_id, name in self.sent.items() if task_id in held_ids}
        now = time.time()
        queued = self.queue.list("queued")
        self.said_waiting &= {task.id for task in queued}
        for task in queued:
            if task.resting(now):
                continue
            child = self._idle_for(task, children)
            if child is None:
                events.extend(self._no_taker(task, children))
                continue
            claimed = self.queue.claim(child.daemon_id, task_id=task.id, pid=child.pid)
            if claimed is None:
                continue
            self.held[child.daemon_id] = claimed
            sent = Mailbox.send(self.workspace, child.daemon_id, {"task": claimed.to_json()}, sender=self.sender,
                                kind="task")
            self.sent[claimed.id] = sent.name
            events.append((child.daemon_id, "task", {"task": claimed.id, "event": "assigned", "text": claimed.text}))
        for path, target, why in self.queue.damaged:  # said once, by the team, where it went
            events.append((None, "task", {"task": path.name, "event": "file set aside", "reason": why,
                                          "text": f"{self.workspace.relative(path)} -> {self.workspace.relative(target)}"}))
        self.queue.damaged.clear()
        return events

    @staticmethod
    def _orphaned(task: Task, child: Child) -> tuple[str, bool]:
        """Why the holder no longer holds ``task`` (``""`` when it does), and whether that failed the task: a
        holder that crashed, was restarted or went silent did; one stopped on purpose did not. A holder still
        stopping holds it: it may yet finish it (its cycle's end is never cut short) or give it back."""
        if child.state == STOPPING and child.pid is not None:
            return "", False
        if child.state not in (RUNNING, STARTING) or child.pid is None:
            return f"holder {child.daemon_id} is {child.state}", child.state not in (STOPPED, STOPPING)
        if task.holder_pid is not None and task.holder_pid != child.pid:
            return f"holder {child.daemon_id} was restarted", True
        if child.late:
            return f"holder {child.daemon_id} went silent", True
        return "", False

    def _no_taker(self, task: Task, children: Mapping[str, Child]) -> list[tuple[str | None, str, dict[str, Any]]]:
        """Said once per task: it waits because no daemon of this team may ever take it."""
        if task.id in self.said_waiting or any(addressed_to(task.to, c.daemon_id) and self.accepts(c)
                                               for c in children.values()):
            return []
        self.said_waiting.add(task.id)
        why = (f"it is for {task.to}, which is not a daemon of this team that takes tasks" if task.to else
               "no daemon of this team takes tasks")
        return [(None, "task", {"task": task.id, "event": "waits", "reason": why, "text": task.text})]

    def _given_back(self, daemon_id: str, held: Task) -> list[tuple[str | None, str, dict[str, Any]]]:
        """What its holder did with a task it no longer holds: failing it is told; completing it is not news."""
        task = self.queue.get(held.id)
        if task is None or task.failures <= held.failures or task.state not in ("queued", "failed"):
            return []
        reason = task.last_reason
        if task.state == "queued" and task.retry_at is not None:
            reason += f"; failure {task.failures} of {self.queue.retries.max_failures}, retried in " \
                      f"{max(0.0, task.retry_at - time.time()):.1f}s"
        return [(daemon_id, "task", {"task": task.id, "event": "failed" if task.state == "failed" else "requeued",
                                     "reason": reason, "text": task.text})]

    def _lost(self, task: Task, child: Child) -> tuple[str, bool]:
        """Whether the message that handed ``task`` over will never be handled: rejected until it went to the
        dead letters (the task failed its holder), or damaged on disk and quarantined (a hand-over to redo)."""
        name = self.sent.get(task.id)
        fate = Mailbox(self.workspace, child.daemon_id).fate(name) if name else None
        if fate == "dead":
            return f"{child.daemon_id} rejected the task's message (kin mail dead shows why)", True
        if fate == "unreadable":
            return f"the message handing the task to {child.daemon_id} was damaged", False
        return "", False

    def _idle_for(self, task: Task, children: Mapping[str, Child]) -> Child | None:
        for child in children.values():
            if (child.state == RUNNING and not child.late and child.daemon_id not in self.held
                    and addressed_to(task.to, child.daemon_id) and self.accepts(child)):
                return child
        return None
