"""Several processes on the same keys: last writer wins, and no read is ever torn or stale."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from shadeos_context import MidTermContext

WORKER = str(Path(__file__).resolve().parent / "context_worker.py")


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_two_processes_write_and_read_the_same_keys(project: Path) -> None:
    procs = [subprocess.Popen([sys.executable, WORKER, "hammer", str(project), name, "150"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
             for name in ("one", "two")]
    try:
        outputs = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            _kill(proc)
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert json.loads(out)["reads"] == 450
    # Last writer wins: what is on disk is one whole value from one of the writers' final rounds.
    ctx = MidTermContext.open(project)
    for daemon, ctype in (("shared.a", "task_states"), ("shared.b", "task_states")):
        final = ctx.retrieve_context(daemon, ctype)
        assert final["writer"] in {"one", "two"} and final["seq"] == 149
    assert not list((project / ".kin/context").rglob("*.tmp"))


def test_a_cached_reader_sees_each_write_of_another_process_at_once(project: Path) -> None:
    ctx = MidTermContext.open(project)
    ctx.store_context("echo.writer", "task_states", {"seq": "start"})
    assert ctx.retrieve_context("echo.writer", "task_states") == {"seq": "start"}
    proc = subprocess.Popen([sys.executable, WORKER, "echo", str(project)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        for seq in range(300):
            proc.stdin.write(f"{seq}\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == str(seq)
            # Same size every time, written within the same timestamp tick: the stat signature alone could lie.
            assert ctx.retrieve_context("echo.writer", "task_states") == {"seq": f"{seq:08d}"}
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        _kill(proc)
