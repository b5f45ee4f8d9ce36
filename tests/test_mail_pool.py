"""Message files made ahead of time: a long-lived sender fills an empty file its pool made and renames it into the
target's ``new/``; what the receiver gets is unchanged, and no pool file outlives its process for long."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from shadeos_core import Mailbox, Workspace
from shadeos_core.mailbox import _POOLED, send_from_pool
from shadeos_core.mailpool import pool_for
from shadeos_core.testing import wait_for


def _pool_files(project: Path, pid: int | None = None) -> dict[str, int]:
    directory = project / ".kin" / "run" / "mail-pool"
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return {}
    return {n: os.stat(directory / n).st_ino for n in names if pid is None or n.startswith(f"{pid}-")}


def test_sends_fill_files_made_ahead_and_receivers_see_the_same_messages(project):
    workspace = Workspace(project)
    try:
        send_from_pool(workspace)
        Mailbox.send(workspace, "t.a", {"n": -1})  # the first send starts the pool
        ready = wait_for(lambda: len(files := _pool_files(project, os.getpid())) >= 4 and files, 10,
                         "the pool to make its files")
        assert all(os.path.getsize(project / ".kin/run/mail-pool" / name) == 0 for name in ready)
        sent = [Mailbox.send(workspace, "t.a", {"n": i}, sender="t.b", priority=3) for i in range(3)]
        inbox = Mailbox(workspace, "t.a")
        got = inbox.receive()
        assert [m.body for m in got] == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": -1}]  # priority, then FIFO
        assert {m.name for m in got[:3]} == {m.name for m in sent} and all(m.sender == "t.b" for m in got[:3])
        # the message files are the very files the pool had made (same inodes), renamed into place
        assert {os.stat(m.path).st_ino for m in got[:3]} <= set(ready.values())
        assert not os.listdir(project / ".kin" / "mail" / "t.a" / "tmp")
    finally:
        _POOLED.discard(str(workspace.root))
        pool_for(workspace.kin_dir / "run").close()
    assert not _pool_files(project, os.getpid())  # closed: the files not taken are removed


SENDER = textwrap.dedent("""
    import os, sys, time
    from shadeos_core import Mailbox, Workspace
    from shadeos_core.mailbox import send_from_pool
    workspace = Workspace(sys.argv[1])
    send_from_pool(workspace)
    Mailbox.send(workspace, "t.a", {"from": os.getpid()})
    while len([n for n in os.listdir(workspace.kin_dir / "run" / "mail-pool") if n.startswith(f"{os.getpid()}-")]) < 8:
        time.sleep(0.01)
    print("ready", flush=True)
    if sys.argv[2] == "wait":
        time.sleep(60)
""")


def _sender(project: Path, how: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", SENDER, str(project), how], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_a_process_that_ends_takes_its_files_with_it(project):
    proc = _sender(project, "exit")
    assert proc.wait(30) == 0
    assert not _pool_files(project, proc.pid)
    assert [m.body for m in Mailbox(Workspace(project), "t.a").receive()] == [{"from": proc.pid}]


def test_what_a_killed_process_left_is_swept_by_the_next_pool(project):
    proc = _sender(project, "wait")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert len(_pool_files(project, proc.pid)) == 8  # a killed process runs no clean-up
    workspace = Workspace(project)
    try:
        pool_for(workspace.kin_dir / "run")
        assert not _pool_files(project, proc.pid)
    finally:
        pool_for(workspace.kin_dir / "run").close()
