"""Handing out the task queue: queued tasks go to idle daemons whose type accepts tasks (claimed on
their behalf and mailed as a ``"task"`` message); a task whose holder died or went silent goes back."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from shadeos_core.mailbox import Mailbox
from shadeos_core.tasks import Task, TaskQueue, addressed_to
from shadeos_core.workspace import Workspace

from .states import RUNNING, STARTING, Child

__all__ = ["TaskFlow"]


class TaskFlow:
    """One pass per cycle over ``.kin/tasks/``: requeue what is orphaned, then hand out what waits."""

    def __init__(self, workspace: Workspace, sender: str, accepts: Callable[[Child], bool]) -> None:
        self.queue = TaskQueue(workspace)
        self.workspace = workspace
        self.sender = sender
        self.accepts = accepts
        self.held: dict[str, Task] = {}  # daemon id -> the task it holds

    def step(self, children: Mapping[str, Child]) -> list[tuple[str, str, dict]]:
        """Returns events ``(daemon_id, kind, data)``."""
        events: list[tuple[str, str, dict]] = []
        self.held = {}
        for task in self.queue.list("claimed"):
            child = children.get(task.holder or "")
            if child is None:
                continue  # not one of this team's daemons
            why = self._orphaned(task, child)
            if why:
                if self.queue.release(task.id, holder=child.daemon_id, reason=why) is not None:
                    events.append((child.daemon_id, "task", {"task": task.id, "event": "requeued", "reason": why,
                                                             "text": task.text}))
                continue
            self.held[child.daemon_id] = task
        for task in self.queue.list("queued"):
            child = self._idle_for(task, children)
            if child is None:
                continue
            claimed = self.queue.claim(child.daemon_id, task_id=task.id, pid=child.pid)
            if claimed is None:
                continue
            self.held[child.daemon_id] = claimed
            Mailbox.send(self.workspace, child.daemon_id, {"task": claimed.to_json()}, sender=self.sender, kind="task")
            events.append((child.daemon_id, "task", {"task": claimed.id, "event": "assigned", "text": claimed.text}))
        return events

    @staticmethod
    def _orphaned(task: Task, child: Child) -> str:
        if child.state not in (RUNNING, STARTING) or child.pid is None:
            return f"holder {child.daemon_id} is {child.state}"
        if task.holder_pid is not None and task.holder_pid != child.pid:
            return f"holder {child.daemon_id} was restarted"
        if child.late:
            return f"holder {child.daemon_id} went silent"
        return ""

    def _idle_for(self, task: Task, children: Mapping[str, Child]) -> Child | None:
        for child in children.values():
            if (child.state == RUNNING and not child.late and child.daemon_id not in self.held
                    and addressed_to(task.to, child.daemon_id) and self.accepts(child)):
                return child
        return None
