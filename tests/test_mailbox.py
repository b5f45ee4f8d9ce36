"""Maildir delivery: priority then FIFO, atomic, at-least-once, corrupt messages quarantined."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from shadeos_core import Mailbox, Workspace
from shadeos_core.errors import UsageError


def test_priority_then_fifo(project):
    ws = Workspace(project)
    for i in range(3):
        Mailbox.send(ws, "t.a", {"n": i}, sender="x", priority="low")
    Mailbox.send(ws, "t.a", "urgent!", priority="urgent")
    Mailbox.send(ws, "t.a", {"n": 99}, priority=5)
    got = Mailbox(ws, "t.a").receive()
    assert [m.body for m in got] == ["urgent!", {"n": 99}, {"n": 0}, {"n": 1}, {"n": 2}]
    assert got[2].sender == "x" and got[2].priority == 8


def test_ack_deletes_and_unacked_messages_come_back_after_a_restart(project):
    ws = Workspace(project)
    Mailbox.send(ws, "t.a", "one")
    Mailbox.send(ws, "t.a", "two")
    box = Mailbox(ws, "t.a")
    first, second = box.receive()
    box.ack(first)
    assert box.receive() == []  # second is held (in cur/), not redelivered while held
    assert Mailbox(ws, "t.a").recover() == 1
    assert [m.body for m in Mailbox(ws, "t.a").receive()] == ["two"]


def test_a_receiver_killed_while_holding_a_message_gets_it_back(project):
    ws = Workspace(project)
    Mailbox.send(ws, "t.a", "precious")
    script = textwrap.dedent("""
        import sys, time
        from shadeos_core import Mailbox, Workspace
        box = Mailbox(Workspace("."), "t.a")
        print(box.receive()[0].body, flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=project, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "precious"
        assert Mailbox(ws, "t.a").pending() == 0
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    box = Mailbox(ws, "t.a")
    box.recover()
    assert [m.body for m in box.receive()] == ["precious"]


def test_corrupt_message_is_quarantined_and_the_rest_delivered(project):
    ws = Workspace(project)
    box = Mailbox(ws, "t.a")
    Mailbox.send(ws, "t.a", "before", priority=1)
    (box.new / "3-00000000000000000001-1-000001.json").write_text("{not json")
    Mailbox.send(ws, "t.a", "after", priority=5)
    assert [m.body for m in box.receive()] == ["before", "after"]
    assert (project / ".kin/quarantine/mail/t.a/3-00000000000000000001-1-000001.json").read_text() == "{not json"


def test_no_partial_file_is_ever_visible_in_new(project):
    ws = Workspace(project)
    box = Mailbox(ws, "t.a")
    for i in range(200):
        Mailbox.send(ws, "t.a", {"i": i, "pad": "x" * 5000})
    for name in os.listdir(box.new):
        assert json.loads((box.new / name).read_text())["body"]["pad"] == "x" * 5000
    assert os.listdir(box.tmp) == []


def test_bad_inputs(project):
    ws = Workspace(project)
    with pytest.raises(UsageError, match="invalid mailbox name"):
        Mailbox.send(ws, "../escape", "x")
    with pytest.raises(UsageError, match="priority"):
        Mailbox.send(ws, "t.a", "x", priority=12)
    with pytest.raises(UsageError, match="JSON"):
        Mailbox.send(ws, "t.a", object())
    assert not (project / ".kin/mail/t.a/new").exists() or Mailbox(ws, "t.a").pending() == 0


def test_wait_wakes_when_another_process_sends(project):
    ws = Workspace(project)
    box = Mailbox(ws, "t.a")
    sender = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import time
        from shadeos_core import Mailbox, Workspace
        time.sleep(0.3)
        Mailbox.send(Workspace("."), "t.a", "hello", sender="other")
    """)], cwd=project)
    try:
        assert box.wait(timeout=20)
        assert [(m.body, m.sender) for m in box.receive()] == [("hello", "other")]
    finally:
        sender.wait(timeout=20)
    assert box.wait(timeout=0.1) is False


def test_failed_deliveries_are_counted_then_dead_lettered_and_can_be_requeued(project, kin):
    from shadeos_core.mailbox import MAX_DELIVERIES, dead_letters

    workspace = Workspace(project)
    box = Mailbox(workspace, "t.a")
    Mailbox.send(workspace, "t.a", {"n": 1}, sender="t.b", kind="job")
    for attempt in range(1, MAX_DELIVERIES + 1):
        (message,) = box.receive()
        assert message.tries == attempt and message.body == {"n": 1}
        outcome = box.fail(message, f"ValueError: try {attempt}")
        assert outcome == ("dead" if attempt == MAX_DELIVERIES else "retry")
    assert box.receive() == []
    (letter,) = dead_letters(workspace)
    assert (letter.daemon_id, letter.tries, letter.sender, letter.kind, letter.reason, letter.error) == (
        "t.a", 3, "t.b", "job", "rejected", "ValueError: try 3")
    out = kin("mail", "requeue", "t.a", letter.name, cwd=project, check=True).stdout
    assert "requeued" in out and dead_letters(workspace) == []
    (again,) = box.receive()
    assert again.tries == 1 and again.body == {"n": 1}
    bad = kin("mail", "requeue", "t.a", "nope.json", cwd=project)
    assert bad.returncode == 2 and "t.a has no dead letter 'nope.json'" in bad.stderr


def test_a_receiver_stopped_gracefully_gives_messages_back_untouched_but_a_dead_one_counts(project):
    workspace = Workspace(project)
    box = Mailbox(workspace, "t.a")
    Mailbox.send(workspace, "t.a", "x")
    box.release(box.receive())
    (message,) = box.receive()
    assert message.tries == 1  # a graceful stop is not a failed delivery
    assert box.recover() == 1  # the receiver died holding it: that is one
    assert box.receive()[0].tries == 2


def test_a_message_that_failed_a_delivery_comes_alone(project):
    workspace = Workspace(project)
    box = Mailbox(workspace, "t.a")
    for n in range(3):
        Mailbox.send(workspace, "t.a", n)
    first, *rest = box.receive()
    box.fail(first, "it died")  # the first failed once: it sorts first, and comes alone
    box.release(rest)
    assert [(m.body, m.tries) for m in box.receive()] == [(0, 2)]
    assert [m.body for m in box.receive()] == [1, 2]  # the others, together again


def test_an_unreadable_message_is_listed_with_the_dead_letters(project, kin):
    workspace = Workspace(project)
    box = Mailbox(workspace, "t.a")
    (box.new / "5-1-1-000001.json").write_text("[" * 100000)  # nested past what the parser can follow
    assert box.receive() == []
    listed = json.loads(kin("mail", "dead", "--json", cwd=project, check=True).stdout)
    assert [(d["daemon_id"], d["reason"]) for d in listed] == [("t.a", "unreadable")]
    assert "RecursionError" in listed[0]["error"]
