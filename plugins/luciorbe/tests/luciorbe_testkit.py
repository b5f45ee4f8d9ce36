"""Helpers of the luciorbe plugin's tests: real child processes that keep luciorbes, and planted files."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from shadeos_core.fsio import atomic_write_json
from shadeos_core.luciorbe import Luciorbe, iso_now
from shadeos_core.testing import wait_for  # noqa: F401  (the tests import it from here)

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]

# A process that keeps one luciorbe through the core's LuciorbeKeeper, then either stays alive or exits
# without removing it (as a crash would).
KEEPER = r"""
import os, sys, time
from shadeos_core.workspace import Workspace
from shadeos_core.luciorbe import LuciorbeKeeper
root, daemon_id, directory, mode = sys.argv[1:5]
keeper = LuciorbeKeeper(Workspace(root), daemon_id, daemon_type="tester", team="t", heartbeat_s=60)
keeper.open(directory, task="testing the janitor", status="processing", progress="1/2")
print("ready", flush=True)
if mode == "exit":
    os._exit(0)
time.sleep(600)
"""


class Processes:
    """Starts real processes in their own sessions and kills every group at the end of the test."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[str]:
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        proc = subprocess.Popen(argv, text=True, start_new_session=True, **kwargs)
        self.procs.append(proc)
        return proc

    def keeper(self, root: Path, daemon_id: str, directory: Path, *, mode: str = "stay") -> subprocess.Popen[str]:
        """A child keeping ``directory/.luciorbe.<daemon_id>``; returns once the file is written."""
        proc = self.start([sys.executable, "-c", KEEPER, str(root), daemon_id, str(directory), mode])
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", f"keeper failed: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        if mode == "exit":
            proc.wait(timeout=20)
        return proc

    def cleanup(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


def plant(directory: Path, daemon_id: str, *, pid: int, pid_started: float, age: float = 0.0,
          heartbeat_s: float = 5, daemon_type: str = "tester", **fields: Any) -> Path:
    """Write a well-formed luciorbe file by hand (for states a live keeper cannot produce)."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = iso_now(time.time() - age)
    luc = Luciorbe(daemon_id=daemon_id, daemon_type=daemon_type, team="t", pid=pid, pid_started=pid_started,
                   started_at=stamp, last_update=stamp, heartbeat_s=heartbeat_s, status="processing",
                   task=fields.pop("task", "planted"), **fields)
    path = directory / f".luciorbe.{daemon_id}"
    atomic_write_json(path, luc.to_json(), indent=None)
    return path


def start_time(pid: int) -> float:
    import psutil

    return psutil.Process(pid).create_time()


def kin_env() -> dict[str, str]:
    """An environment where the installed ``kin`` is on PATH (the interpreter's bin directory first)."""
    return {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
