"""The task queue format (.kin/tasks/), shared by every daemon plugin, across real processes."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from shadeos_core.errors import ConfigError
from shadeos_core.tasks import TaskQueue, TaskRetries
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


def test_a_failed_task_rests_then_moves_to_failed_after_max_failures_and_retry_puts_it_back(project):
    queue = TaskQueue(Workspace(project), TaskRetries(max_failures=2, retry_after=30.0))
    task = queue.add("fragile")
    queue.claim("t.w")
    back = queue.release(task.id, holder="t.w", reason="boom", failed=True)
    assert back.state == "queued" and back.failures == 1 and back.resting()
    assert back.retry_at - back.history[-1]["time"] == 30.0
    assert queue.claim("t.w") is None  # resting: not handed out
    assert queue.claim("t.w", task_id=task.id) is None
    assert TaskQueue(Workspace(project), TaskRetries(retry_after=0.0)).claim("t.w") is None  # the rest is the task's
    # a rest that is over: the task is handed out again; a graceful give-back is no failure
    path = queue.new / f"{task.id}.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "retry_at": 1.0}))
    assert queue.claim("t.w").id == task.id
    assert queue.release(task.id, holder="t.w", reason="stopping").failures == 1
    queue.claim("t.w")
    failed = queue.release(task.id, holder="t.w", reason="boom again", failed=True)
    assert failed.state == "failed" and failed.failures == 2 and failed.last_reason == "boom again"
    assert [t.id for t in queue.list("failed")] == [task.id] and queue.claim("t.w") is None
    assert queue.retry("nope") is None
    retried = queue.retry(task.id)
    assert retried.state == "queued" and retried.failures == 0 and retried.retry_at is None
    assert queue.claim("t.w").attempts == 4
    assert [e["event"] for e in queue.get(task.id).history] == [
        "added", "claimed", "released", "claimed", "released", "claimed", "failed", "retried", "claimed"]


def test_the_rest_doubles_per_failure_up_to_ten_minutes():
    retries = TaskRetries(retry_after=10.0)
    assert [retries.rest(n) for n in (1, 2, 3)] == [10.0, 20.0, 40.0]
    assert retries.rest(40) == 600.0


def test_task_fields_of_the_wrong_type_are_dropped_not_trusted(project):
    queue = TaskQueue(Workspace(project))
    hostile = {"id": "00000000000000000001-1-0000", "text": "do it", "attempts": "12", "failures": [1],
               "history": {"0": None}, "retry_at": 1e999, "holder_pid": "1", "to": 5, "created_at": "yesterday"}
    (queue.new / "00000000000000000001-1-0000.json").write_text(json.dumps(hostile).replace("Infinity", "1e999"))
    task = queue.list()[0]
    assert (task.attempts, task.failures, task.history, task.retry_at, task.to) == (0, 0, [], None, None)
    claimed = queue.claim("t.w")
    assert claimed.attempts == 1 and claimed.history[-1]["event"] == "claimed"
    assert queue.release(claimed.id, holder="t.w", failed=True).failures == 1


def test_task_settings_are_checked(project):
    (project / "kin.toml").write_text('[tasks]\nmax_failures = 3\nretry_after = "2m"\n')
    assert TaskRetries.from_workspace(Workspace(project)) == TaskRetries(3, 120.0)
    for body, said in (("max_failures = 0", "max_failures"), ('retry_after = "soon"', "retry_after"),
                       ("max_retries = 2", "unknown key")):
        (project / "kin.toml").write_text(f"[tasks]\n{body}\n")
        with pytest.raises(ConfigError, match=said):
            TaskRetries.from_workspace(Workspace(project))
