"""Handing tasks out and taking them back, one pass at a time, on a real task queue with children on paper."""
from __future__ import annotations

from pathlib import Path

from shadeos_core.tasks import TaskQueue
from shadeos_core.team import DaemonSpec, Team, TeamSource
from shadeos_core.workspace import Workspace
from shadeos_orchestrator.states import RUNNING, Child, Policy
from shadeos_orchestrator.taskflow import TaskFlow


def _child(name: str) -> Child:
    spec = DaemonSpec(name=name, type="worker", team="t")
    return Child(spec, Policy.of(spec, Team(name="t", source=TeamSource(path=Path("t.toml")))))


def test_a_holder_still_stopping_keeps_its_task_and_gives_it_back_unfailed_once_stopped(project):
    """A daemon asked to stop (a phase change) may be ending the very cycle that completes its task: the task
    is not handed to another daemon meanwhile; once the holder has stopped without finishing it, it goes back
    to the queue, and a stop on purpose is no failure."""
    workspace = Workspace(project)
    flow = TaskFlow(workspace, "t.orchestrator", accepts=lambda child: True)
    worker = _child("w")
    worker.spawned(4242, 1.0, now=0.0, wall=0.0)
    worker.tick(now=5.0)
    assert worker.state == RUNNING
    task = TaskQueue(workspace).add("Fix the parser")
    flow.step({worker.daemon_id: worker})
    assert TaskQueue(workspace).get(task.id).holder == "t.w"

    worker.stopping(restart=False, reason="not active in phase convergence")
    assert flow.step({worker.daemon_id: worker}) == []
    held = TaskQueue(workspace).get(task.id)
    assert (held.state, held.holder) == ("claimed", "t.w")

    worker.stopped(0, now=10.0)
    events = flow.step({worker.daemon_id: worker})
    back = TaskQueue(workspace).get(task.id)
    assert (back.state, back.holder, back.failures) == ("queued", None, 0)
    assert events == [("t.w", "task", {"task": task.id, "event": "requeued", "reason": "holder t.w is STOPPED",
                                       "text": "Fix the parser"})]
