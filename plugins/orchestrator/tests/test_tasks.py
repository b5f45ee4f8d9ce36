"""The task queue format (.kin/tasks/), shared by every daemon plugin, across real processes."""
from __future__ import annotations

import subprocess
import sys

from shadeos_core.tasks import TaskQueue
from shadeos_core.workspace import Workspace

_CLAIM = """
import sys
from shadeos_core.tasks import TaskQueue
from shadeos_core.workspace import Workspace
q = TaskQueue(Workspace(sys.argv[1]))
got = []
while (t := q.claim(sys.argv[2])) is not None:
    got.append(t.id)
print(" ".join(got))
"""


def test_claims_race_between_processes_and_each_task_goes_to_exactly_one(project):
    queue = TaskQueue(Workspace(project))
    ids = {queue.add(f"task {i}").id for i in range(60)}
    procs = [subprocess.Popen([sys.executable, "-c", _CLAIM, str(project), f"t.w{i}"], stdout=subprocess.PIPE,
                              text=True) for i in range(3)]
    outs = [p.communicate(timeout=60)[0].split() for p in procs]
    claimed = [tid for out in outs for tid in out]
    assert sorted(claimed) == sorted(ids)  # none lost, none twice
    holders = {t.id: t.holder for t in queue.list("claimed")}
    for i, out in enumerate(outs):
        assert all(holders[tid] == f"t.w{i}" for tid in out)


def test_fifo_reservation_release_and_completion(project):
    queue = TaskQueue(Workspace(project))
    first, reserved, last = queue.add("one"), queue.add("two", to="w2"), queue.add("three")
    assert queue.claim("t.w1").id == first.id
    assert queue.claim("t.w1").id == last.id  # "two" is reserved for w2
    assert queue.claim("t.w1") is None
    assert queue.claim("t.w2").id == reserved.id
    back = queue.release(first.id, reason="holder died")
    assert back.state == "queued" and back.holder is None
    assert queue.complete(first.id, holder="t.w1") is None  # no longer held
    again = queue.claim("t.w3")
    assert again.id == first.id and again.attempts == 2
    done = queue.complete(first.id, holder="t.w3", result={"ok": True})
    assert done.state == "done" and queue.get(first.id).result == {"ok": True}
    assert [e["event"] for e in queue.get(first.id).history] == ["added", "claimed", "released", "claimed", "done"]


def test_unreadable_task_files_are_skipped(project):
    queue = TaskQueue(Workspace(project))
    (queue.new / "00000000000000000001-1-0000.json").write_text("{not json")
    good = queue.add("fine")
    assert [t.id for t in queue.list()] == [good.id]
    assert queue.claim("t.w").id == good.id
