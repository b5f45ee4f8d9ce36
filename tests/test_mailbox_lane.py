"""The live lane of a mailbox: while a receiver runs, messages are lines of its spool, in memory; whatever it
has not handled when it stops or dies comes back as message files, and a lane never loses a message."""
import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

from shadeos_core import Mailbox, Workspace, mailspool


def lane_of(box: Mailbox) -> str:
    return mailspool.lane_dir(os.fspath(box.root))


@contextlib.contextmanager
def watched(project):
    """The owned mailbox ``t.a`` of the project, watched as a runner watches it."""
    ws = Workspace(project)
    box = Mailbox(ws, "t.a")
    box.own()
    waiter = box.watch()
    try:
        yield ws, box, waiter
    finally:
        waiter.stop()
        box.disown()


def files_in(directory) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.endswith(".json") and not n.endswith(".why.json"))


def test_a_live_receiver_gets_its_messages_on_the_lane_and_files_come_back_when_it_stops(project):
    ws = Workspace(project)
    box = Mailbox(ws, "t.a")
    assert box.own() == 0
    lane = lane_of(box)
    assert lane.startswith("/dev/shm/") and stat.S_IMODE(os.stat(os.path.dirname(lane)).st_mode) == 0o700
    for name in ("spool", "journal"):  # the user's alone
        assert stat.S_IMODE(os.stat(os.path.join(lane, name)).st_mode) & 0o077 == 0
    Mailbox.send(ws, "t.a", {"n": 1}, sender="x", priority="low")
    Mailbox.send(ws, "t.a", {"n": 2}, sender="x", priority="urgent")
    assert files_in(box.new) == []  # no file per message: lines of the spool
    with open(os.path.join(lane, "spool"), "rb") as handle:
        assert handle.read().count(b'"body"') == 2
    # a file written the old way, by a sender that found no lane, is merged in priority order
    (box.new / f"5-{time.time_ns():020d}-1-000001.json").write_text(json.dumps({"body": {"n": 3}}))
    got = box.receive()
    assert [m.body for m in got] == [{"n": 2}, {"n": 3}, {"n": 1}]
    assert got[0].spooled and got[0].tries == 1 and got[0].sender == "x" and got[0].priority == 0
    box.ack(got[0])
    box.ack(got[1])
    box.release([got[2]])  # given back untouched: comes again, not a failure
    Mailbox.send(ws, "t.a", {"n": 4})
    box.flush()
    box.disown()
    assert not os.path.exists(os.path.join(lane, "spool"))
    # the next sender finds no lane: a file; what was left on the lane is a file too, in its order (low last)
    Mailbox.send(ws, "t.a", {"n": 5})
    again = Mailbox(ws, "t.a").receive()
    assert [(m.body, m.tries, m.spooled) for m in again] == [({"n": 4}, 1, False), ({"n": 5}, 1, False),
                                                              ({"n": 1}, 1, False)]


def test_messages_to_a_receiver_killed_on_the_lane_come_back_to_the_next_one(project):
    ws = Workspace(project)
    script = textwrap.dedent("""
        import sys, time
        from shadeos_core import Mailbox, Workspace
        box = Mailbox(Workspace("."), "t.a")
        box.own()
        print("owned", flush=True)
        while not box.has_mail():
            time.sleep(0.01)
        (message,) = box.receive()
        print(message.body, flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=project, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "owned"
        Mailbox.send(ws, "t.a", "poisonous?")
        assert proc.stdout.readline().strip() == "poisonous?"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
        proc.wait()
    # the dead receiver's spool is still there: a sender goes on appending to it
    Mailbox.send(ws, "t.a", "sent while nobody received")
    box = Mailbox(ws, "t.a")
    assert box.own() == 1  # the one it died handling: a failed delivery, handed over alone
    (retry,) = box.receive()
    assert (retry.body, retry.tries, retry.name.endswith(".r2.json")) == ("poisonous?", 2, True)
    box.ack(retry)
    assert [(m.body, m.tries) for m in box.receive()] == [("sent while nobody received", 1)]
    box.disown()


def test_a_lane_message_whose_handling_fails_leaves_the_lane_for_the_retries_and_the_dead_letters(project):
    ws = Workspace(project)
    box = Mailbox(ws, "t.a")
    box.own()
    sent = Mailbox.send(ws, "t.a", "bad")
    for attempt in range(1, 4):
        (message,) = box.receive()
        assert message.tries == attempt
        outcome = box.fail(message, "ValueError: no")
    assert outcome == "dead"
    assert box.fate(sent.name) == "dead"
    assert box.receive() == []
    box.disown()
    assert files_in(box.new) == []  # acknowledged on the lane: nothing written back


def test_lines_that_are_not_messages_are_quarantined_and_build_no_path(project):
    ws = Workspace(project)
    box = Mailbox(ws, "t.a")
    box.own()
    spool = os.path.join(lane_of(box), "spool")
    Mailbox.send(ws, "t.a", "before")
    with open(spool, "ab") as handle:
        handle.write(b"\nnot json at all\n")
        handle.write(b'\n{"name": "../../../escape.json", "body": 1}\n')
        handle.write(b'\n{"name": "5-00000000000000000001-1-000001.json", "body": 2, "priority": "high?"}\n')
        handle.write(b'\n{"name": "5-000')  # cut short: the line sent next still stands
    Mailbox.send(ws, "t.a", "after")
    with open(spool, "ab") as handle:
        handle.write(b'\n{"name": "5-000')  # cut short, and last: left for when the receiver stops
    got = box.receive()
    assert [m.body for m in got] == ["before", "after"]
    for message in got:
        box.ack(message)
    quarantine = project / ".kin" / "quarantine" / "mail" / "t.a"
    assert len(files_in(quarantine)) == 4
    box.disown()
    assert len(files_in(quarantine)) == 5
    assert all(json.loads((quarantine / n.replace(".json", ".why.json")).read_text())["error"].startswith("unreadable")
               for n in files_in(quarantine))
    assert not list(project.rglob("escape.json")) and not (project.parent / "escape.json").exists()
    assert files_in(box.new) == []


def test_a_sender_follows_its_receiver_from_one_life_to_the_next(project):
    ws = Workspace(project)
    first = Mailbox(ws, "t.a")
    first.own()
    Mailbox.send(ws, "t.a", 1)  # the sender keeps the spool open from now on
    (one,) = first.receive()
    first.ack(one)
    first.disown()  # ...which its receiver unlinks as it stops: the next message is a file
    Mailbox.send(ws, "t.a", 2)
    assert len(files_in(first.new)) == 1
    second = Mailbox(ws, "t.a")
    second.own()
    Mailbox.send(ws, "t.a", 3)  # on the new lane
    assert len(files_in(second.new)) == 1
    assert [m.body for m in second.receive()] == [2, 3]
    second.disown()


def test_a_second_receiver_reads_the_files_only(project, caplog):
    ws = Workspace(project)
    first, second = Mailbox(ws, "t.a"), Mailbox(ws, "t.a")
    first.own()
    assert second.own() == 0 and second.bells() == []
    assert "another live process receives for it" in caplog.text
    Mailbox.send(ws, "t.a", "lane")
    assert second.receive() == []
    assert [m.body for m in first.receive()] == ["lane"]
    first.disown()


def test_a_message_too_long_for_one_line_goes_as_a_file(project):
    ws = Workspace(project)
    box = Mailbox(ws, "t.a")
    box.own()
    Mailbox.send(ws, "t.a", "x" * (mailspool.MAX_LINE + 1))
    assert len(files_in(box.new)) == 1
    assert len(box.receive()[0].body) == mailspool.MAX_LINE + 1
    box.disown()


def test_without_a_private_memory_directory_the_lane_is_in_the_mailbox(project, tmp_path, monkeypatch):
    shared = tmp_path / "shm"
    (shared / f"kin-{os.getuid()}").mkdir(parents=True)
    os.chmod(shared / f"kin-{os.getuid()}", 0o777)  # open to others: not a place for our messages
    monkeypatch.setattr(mailspool, "MEMORY_ROOT", str(shared))
    monkeypatch.setattr(mailspool, "_memory_looked", False)
    monkeypatch.setattr(mailspool, "_memory", None)  # put back as it was when the test ends
    ws = Workspace(project)
    box = Mailbox(ws, "t.a")
    box.own()
    assert lane_of(box) == os.fspath(box.root)
    Mailbox.send(ws, "t.a", "on disk")
    assert files_in(box.new) == [] and (box.root / "spool").stat().st_size > 0
    assert [m.body for m in box.receive()] == ["on disk"]
    box.disown()
    assert not (box.root / "spool").exists()


def test_a_receiver_emptying_its_spool_wakes_nobody(project, monkeypatch):
    monkeypatch.setattr(mailspool, "COMPACT_AT", 1)
    with watched(project) as (ws, box, waiter):
        Mailbox.send(ws, "t.a", "one")
        assert waiter.wait(5.0)
        (message,) = box.receive()
        box.ack(message)
        box.flush()  # everything acknowledged and the spool past COMPACT_AT: emptied, a write the watch sees
        assert os.path.getsize(os.path.join(lane_of(box), "spool")) == 0
        assert not waiter.wait(0.3)
        Mailbox.send(ws, "t.a", "two")
        assert waiter.wait(5.0)
        assert [m.body for m in box.receive()] == ["two"]


SENDER = textwrap.dedent("""
    import sys
    from shadeos_core import Mailbox, Workspace
    ws, who = Workspace("."), sys.argv[1]
    for i in range(int(sys.argv[2])):
        Mailbox.send(ws, "t.a", f"{who}-{i}", sender=who)
""")


def test_concurrent_senders_lose_nothing_while_receivers_come_and_go(project):
    ws = Workspace(project)
    per_sender, got = 400, []
    box = Mailbox(ws, "t.a")
    box.own()
    senders = [subprocess.Popen([sys.executable, "-c", SENDER, f"s{n}", str(per_sender)], cwd=project)
               for n in range(3)]
    try:
        lives = 0
        while any(p.poll() is None for p in senders) or box.has_mail():
            for message in box.receive():
                got.append(message.body)
                box.ack(message)
            box.flush()
            if len(got) > lives * 250:  # a new receiver now and then, while the senders go on
                lives += 1
                box.disown()
                box = Mailbox(ws, "t.a")
                box.own()
        for message in box.receive():
            got.append(message.body)
            box.ack(message)
    finally:
        for proc in senders:
            proc.wait(60)
        box.disown()
    assert all(p.returncode == 0 for p in senders)
    assert lives > 1
    assert sorted(got) == sorted(f"s{n}-{i}" for n in range(3) for i in range(per_sender))
    for n in range(3):  # each sender's messages in the order it sent them
        mine = [int(body.split("-")[1]) for body in got if body.startswith(f"s{n}-")]
        assert mine == sorted(mine)


def test_the_waiter_of_a_lane_wakes_on_a_line_and_on_a_file(project):
    with watched(project) as (ws, box, waiter):
        assert not waiter.wait(0.05)
        Mailbox.send(ws, "t.a", "line")
        assert waiter.wait(5.0)
        assert [m.body for m in box.receive()] == ["line"]
        (box.new / f"5-{time.time_ns():020d}-1-000001.json").write_text(json.dumps({"body": "file"}))
        assert waiter.wait(5.0)
        assert [m.body for m in box.receive()] == ["file"]


def test_files_a_receive_left_behind_are_taken_next_time_without_a_new_arrival(project):
    with watched(project) as (_ws, box, waiter):
        for n in range(3):
            (box.new / f"5-{time.time_ns():020d}-1-{n:06d}.json").write_text(json.dumps({"body": n}))
        assert waiter.wait(5.0)
        assert [m.body for m in box.receive(limit=1)] == [0]  # one per cycle, as after a failed delivery
        assert not waiter.wait(0.05)  # nothing arrives...
        assert [m.body for m in box.receive()] == [1, 2]  # ...and the two left are still seen


def test_the_lanes_of_deleted_workspaces_are_swept_and_live_ones_kept(tmp_path):
    import shutil

    projects = []
    for name in ("kept", "gone", "held"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "kin.toml").write_text("")
        projects.append(tmp_path / name)
    kept, gone, held = (Mailbox(Workspace(p), "t.a") for p in projects)
    for box in (kept, gone, held):
        box.own()
    lanes = [lane_of(box) for box in (kept, gone, held)]
    kept._lane._let_go()  # as if its runner had been killed: no receiver, the workspace still there
    gone._lane._let_go()  # the same, and then its workspace deleted
    shutil.rmtree(projects[1])
    shutil.rmtree(projects[2])  # deleted under a live receiver: its lane stays while it runs
    assert mailspool.sweep() >= 1
    assert os.path.isdir(lanes[0]) and not os.path.exists(lanes[1]) and os.path.isdir(lanes[2])
    held.disown()
    kept.disown()


def test_a_sender_that_wrote_while_nobody_listened_wakes_the_next_receiver(project):
    ws = Workspace(project)
    first = Mailbox(ws, "t.a")
    first.own()
    first._lane._let_go()  # its runner killed: the lane stays, nobody reads its bell
    for fd in (first._lane.bell,):
        os.close(fd)
    Mailbox.send(ws, "t.a", "to nobody")  # appended; no bell to ring
    with watched(project) as (_ws, box, waiter):  # the next life: the message comes back as a file...
        assert [m.body for m in box.receive()] == ["to nobody"]
        Mailbox.send(ws, "t.a", "to the next one")  # ...and the same sender rings the new bell
        assert waiter.wait(5.0)
        assert [m.body for m in box.receive()] == ["to the next one"]


def test_a_lane_another_sweep_removes_meanwhile_is_passed_over(tmp_path, monkeypatch):
    """Every runner start sweeps the lanes of deleted workspaces, so runners starting together meet the same
    lanes: one removed by another sweep between the look at it and the lock is passed over (it once made the
    runner fail to start: FileNotFoundError)."""
    import shutil

    project = tmp_path / "gone"
    project.mkdir()
    (project / "kin.toml").write_text("")
    box = Mailbox(Workspace(project), "t.a")
    box.own()
    lane = lane_of(box)
    box._lane._let_go()  # its runner killed...
    shutil.rmtree(project)  # ...and its workspace deleted: an orphan
    isdir = os.path.isdir

    def another_sweep_first(path):
        if path == os.fspath(box.root):  # the sweep looked at the lane; another one removes it now
            mailspool._remove_lane(lane)
        return isdir(path)

    monkeypatch.setattr(mailspool.os.path, "isdir", another_sweep_first)
    assert mailspool.sweep() >= 0
    assert not os.path.exists(lane)


def test_a_receiver_whose_lane_went_as_it_started_makes_it_again(project):
    """The last receiver of a mailbox removes its lane as it stops; the next one, starting meanwhile, makes it
    again rather than failing."""
    box = Mailbox(Workspace(project), "t.a")
    lane = lane_of(box)
    assert not os.path.exists(lane)
    fd = mailspool._lock_live(os.path.join(lane, mailspool.LIVE))  # the directory gone before the lock
    try:
        assert fd is not None and os.path.exists(os.path.join(lane, mailspool.LIVE))
        assert mailspool._lock_live(os.path.join(lane, "elsewhere", mailspool.LIVE), make=False) is None
    finally:
        os.close(fd)
        mailspool._remove_lane(lane)


def test_a_claim_carries_the_acknowledgements_not_journaled_yet(project):
    """Acknowledgements are journaled when the receiver is idle (flush) or with its next claim: one write."""
    ws = Workspace(project)
    box = Mailbox(ws, "t.a")
    box.own()
    journal = os.path.join(lane_of(box), "journal")
    first = Mailbox.send(ws, "t.a", 1)
    (got,) = box.receive()
    box.ack(got)
    second = Mailbox.send(ws, "t.a", 2)
    (got,) = box.receive()
    with open(journal) as handle:
        assert handle.read() == f"c {first.name}\na {first.name}\nc {second.name}\n"
    box.ack(got)
    assert box.unflushed
    box.flush()
    with open(journal) as handle:
        assert handle.read().endswith(f"a {second.name}\n") and not box.unflushed
    box.disown()


def test_a_lane_line_holds_what_its_name_does_not_say_and_is_the_whole_record_as_a_file(project):
    ws = Workspace(project)
    box = Mailbox(ws, "t.a")
    box.own()
    sent = Mailbox.send(ws, "t.a", {"é": [1, 2.5]}, sender="t.b", priority="high", kind="task")
    plain = Mailbox.send(ws, "t.a", "x", sender="t.b")
    with open(os.path.join(lane_of(box), "spool"), "rb") as handle:
        lines = [json.loads(line) for line in handle.read().split(b"\n") if line.strip()]
    assert lines == [{"name": sent.name, "from": "t.b", "body": {"é": [1, 2.5]}, "kind": "task"},
                     {"name": plain.name, "from": "t.b", "body": "x"}]
    (got, other) = box.receive()
    assert (got.body, got.sender, got.priority, got.kind, got.target) == ({"é": [1, 2.5]}, "t.b", 2, "task", "t.a")
    assert got.sent_at == sent.sent_at and other.kind == "message"
    box.release([got, other])
    box.disown()  # written out as files: the whole record, as a sender without a lane writes it
    with open(box.new / sent.name, encoding="utf-8") as handle:
        assert json.load(handle) == sent.to_json()
