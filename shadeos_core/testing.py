"""Helpers for testing kin and kin plugins against real processes (used by kin's own test suites)."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["wait_for", "kill_group", "team_processes", "TeamRun"]


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str | Callable[[], str] = "condition", *,
             interval: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something true and return that; fail after ``timeout`` seconds.

    Tests wait for what they expect to happen instead of sleeping a fixed time,
    and never assert on how long it took. ``what`` names the condition in the
    failure; a callable is asked at that moment (to describe the final state).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout}s waiting for {described} (last seen: {value!r})")
        time.sleep(interval)


def kill_group(proc: subprocess.Popen[Any], *, timeout: float = 10.0) -> None:
    """SIGKILL the process group of ``proc`` (started with ``start_new_session=True``) and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=timeout)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):  # what the test did not read is not needed any more
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def team_processes(project: Path) -> list[Any]:
    """Daemon runner processes of the workspace ``project`` still alive (zombies left out)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["cmdline", "cwd", "status"]):
        try:
            cmd = proc.info["cmdline"] or []
            if proc.info["status"] == psutil.STATUS_ZOMBIE or "shadeos_core.runner" not in cmd:
                continue
            if proc.info["cwd"] == str(project) or any(str(project) in part for part in cmd):
                found.append(proc)
        except psutil.Error:
            continue
    return found


class TeamRun:
    """``kin <team>`` run as a real process in ``project``: its output, its published state, its end.

    Output goes to ``<project>/../<team>.<ns>.out`` (and ``.err`` apart from it with ``stderr_apart``).
    """

    def __init__(self, project: Path, team: str, env: dict[str, str] | None = None, *,
                 stderr_apart: bool = False) -> None:
        self.project = project
        self.team = team
        self.out_path = project.parent / f"{team}.{time.time_ns()}.out"
        self.err_path = self.out_path.with_suffix(".err") if stderr_apart else None
        with contextlib.ExitStack() as files:
            out = files.enter_context(open(self.out_path, "wb"))
            err = files.enter_context(open(self.err_path, "wb")) if self.err_path else subprocess.STDOUT
            self.proc = subprocess.Popen([sys.executable, "-m", "shadeos_core", team], cwd=project,
                                         env={**os.environ, **(env or {})}, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def output(self) -> str:
        text = self.out_path.read_text(errors="replace")
        return text + (self.err_path.read_text(errors="replace") if self.err_path else "")

    def state(self) -> dict[str, Any] | None:
        try:
            state = json.loads((self.project / ".kin" / "run" / "teams" / f"{self.team}.json").read_text())
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) else None

    def daemon(self, name: str) -> dict[str, Any] | None:
        for d in (self.state() or {}).get("daemons", []):
            if isinstance(d, dict) and d.get("name") == name:
                return d
        return None

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signum)

    def wait_exit(self, timeout: float = 60.0) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self, timeout: float = 60.0) -> int:
        """Ctrl+C, then the exit code."""
        self.signal(signal.SIGINT)
        return self.wait_exit(timeout)

    def kill_everything(self) -> None:
        """SIGKILL the team's process group and any of its daemons (with their children) still alive."""
        import psutil

        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        for proc in team_processes(self.project):
            with contextlib.suppress(psutil.Error):
                for child in proc.children(recursive=True):
                    child.kill()
                proc.kill()
