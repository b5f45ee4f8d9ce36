"""Messages between running daemons: each wakes its receiver at once, and the luciorbe still tells the truth."""
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

from helpers import kill_group, plugin_env, start_runner, wait_for

from shadeos_core import Mailbox, Workspace
from shadeos_core.inotify import Alarm, DirectoryWaiter
from shadeos_core.luciorbe import LuciorbeKeeper, read_luciorbe
from shadeos_core.status_relay import StatusRelay

TEAM = '[daemons.rec]\ntype = "recorder"\non_message = true\nrecord = "rec.jsonl"\n'


def records(project: Path) -> list[dict[str, Any]]:
    path = project / "rec.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def messages(project: Path) -> list[Any]:
    return [i["content"] for r in records(project) for i in r.get("injections", []) if i["type"] == "message"]


def test_every_message_of_a_burst_is_handled_once_and_the_luciorbe_ends_on_the_last_cycle(project: Path,
                                                                                          write: Any) -> None:
    write("teams/t.toml", TEAM)
    proc = start_runner("t", "rec", project, plugin_env("sampledaemons"))
    try:
        wait_for(lambda: records(project), what="the first cycle")
        ws = Workspace(project)
        for n in range(50):
            Mailbox.send(ws, "t.rec", {"n": n}, sender="test")
        wait_for(lambda: len(messages(project)) == 50, what="the 50 messages")
        assert [m["n"] for m in messages(project)] == list(range(50))
        box = Mailbox(ws, "t.rec")
        wait_for(lambda: not os.listdir(box.new) and not os.listdir(box.cur), what="every message acknowledged")
        last = records(project)[-1]["cycle"]
        luciorbe = project / ".luciorbe.t.rec"
        wait_for(lambda: (read_luciorbe(luciorbe).status, read_luciorbe(luciorbe).progress) == ("waiting", str(last)),
                 what="the luciorbe showing the last cycle")
        assert proc.poll() is None
    finally:
        kill_group(proc)


def test_a_long_cycle_shows_processing_then_the_stop_removes_the_luciorbe(project: Path, write: Any) -> None:
    write("teams/t.toml", TEAM + "slow_cycle = 60\n")
    proc = start_runner("t", "rec", project, plugin_env("sampledaemons"))
    try:
        luciorbe = project / ".luciorbe.t.rec"
        wait_for(lambda: records(project), what="the slow first cycle")
        wait_for(lambda: read_luciorbe(luciorbe).status == "processing", what="the luciorbe saying processing")
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert not luciorbe.exists()
    finally:
        kill_group(proc)


def test_a_sender_whose_mailbox_was_removed_makes_it_again(project: Path) -> None:
    ws = Workspace(project)
    Mailbox.send(ws, "t.gone", {"n": 1}, sender="test")
    shutil.rmtree(project / ".kin" / "mail" / "t.gone")
    Mailbox.send(ws, "t.gone", {"n": 2}, sender="test")
    box = Mailbox(ws, "t.gone")
    assert [m.body for m in box.receive()] == [{"n": 2}]


def test_an_alarm_wakes_on_an_arrival_on_set_and_not_otherwise(tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()
    alarm = Alarm()
    with DirectoryWaiter(tmp_path / "new") as waiter:
        alarm.watch(waiter)
        assert alarm.wait(0.05) is False
        (tmp_path / "new" / "m.json").write_text("{}")
        assert alarm.wait(5.0) is True and alarm.is_set()
        alarm.clear()
        threading.Timer(0.1, alarm.set).start()
        started = time.monotonic()
        assert alarm.wait(30.0) is True
        assert time.monotonic() - started < 30.0
    alarm.clear()
    unwatched = Alarm()
    unwatched.set()
    assert unwatched.wait(0) is True


def test_a_status_relay_writes_the_latest_fields_to_the_luciorbe(project: Path) -> None:
    keeper = LuciorbeKeeper(Workspace(project), "t.rel")
    handle = keeper.open(".", task="relay", status="starting")
    relay = StatusRelay(handle, interval=0.05)
    try:
        for n in range(20):
            relay.show(status="processing", progress=str(n))
            relay.show(status="waiting")
        assert relay.flush(10.0)
        written = read_luciorbe(handle.path)
        assert (written.status, written.progress) == ("waiting", "19")
        relay.show(status="bogus")  # refused by the luciorbe: logged, the relay goes on
        relay.show(status="waiting", progress="20")
        assert relay.flush(10.0)
        assert read_luciorbe(handle.path).progress == "20"
    finally:
        relay.stop()
        keeper.release_all()
