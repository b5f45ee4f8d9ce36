"""Helpers for the orchestrator's tests: run `kin <team>` as a real process and look at what it does."""
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

import psutil
from shadeos_core.testing import wait_for

HERE = Path(__file__).resolve().parent
TEST_PLUGIN = "orchestrator_testdaemons"
#: Timings small enough for a fast suite (heartbeats, start and cycle times).
FAST = {"heartbeat": '"0.5s"', "start_seconds": '"0.3s"'}


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
    env["KIN_PLUGINS"] = TEST_PLUGIN
    env.update(extra)
    return env


def team_processes(project: Path) -> list[psutil.Process]:
    """Daemon processes of this workspace still alive (the runner is given --cwd inside the project)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmd = proc.info["cmdline"] or []
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if "shadeos_core.runner" in cmd and any(str(project) in part for part in cmd):
            found.append(proc)
    return found


def luciorbes(project: Path) -> list[Path]:
    return [p for p in project.rglob(".luciorbe*") if not p.name.endswith(".tmp")]


class TeamRun:
    """A `kin <team>` process: its output, its published state, its children."""

    def __init__(self, project: Path, team: str, env: dict[str, str]) -> None:
        self.project = project
        self.team = team
        self.out_path = project.parent / f"{team}.{time.time_ns()}.out"
        self.err_path = self.out_path.with_suffix(".err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "shadeos_core", team], cwd=project, env=env,
                                         stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def output(self) -> str:
        return self.out_path.read_text(errors="replace") + self.err_path.read_text(errors="replace")

    def state(self) -> dict[str, Any] | None:
        path = self.project / ".kin" / "run" / "teams" / f"{self.team}.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def daemon(self, name: str) -> dict[str, Any] | None:
        state = self.state()
        for d in (state or {}).get("daemons", []):
            if d["name"] == name:
                return d
        return None

    def wait_state(self, name: str, wanted: str, timeout: float = 20.0, **more: Callable[[Any], bool]) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            d = self.daemon(name)
            if d and d["state"] == wanted and all(test(d.get(k)) for k, test in more.items()):
                return d
            return None

        try:
            return wait_for(check, timeout, f"{name} to be {wanted}")
        except AssertionError:
            raise AssertionError(f"{name} never reached {wanted}; last: {self.daemon(name)}\n{self.output}") from None

    def wait_all_running(self, names: list[str], timeout: float = 30.0) -> dict[str, dict[str, Any]]:
        return {n: self.wait_state(n, "RUNNING", timeout) for n in names}

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signum)

    def wait_exit(self, timeout: float = 60.0) -> int:
        return self.proc.wait(timeout=timeout)

    def kill_everything(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        for proc in team_processes(self.project):
            with contextlib.suppress(psutil.Error):
                for child in proc.children(recursive=True):
                    child.kill()
                proc.kill()


def team_toml(*, team: dict[str, Any] | None = None, daemons: dict[str, dict[str, Any]], meta: dict[str, dict[str, Any]] | None = None,
              phases: dict[str, list[str]] | None = None) -> str:
    """A team file with fast timings unless a daemon overrides them."""

    def value(v: Any) -> str:
        if isinstance(v, str) and v.startswith('"'):
            return v
        return json.dumps(v)

    settings = {"cycle": '"0.2s"', "stop_timeout": '"5s"', **(team or {})}
    lines = ["[team]", *(f"{key} = {value(v)}" for key, v in settings.items())]
    for section, table in (("meta", meta or {}), ("daemons", daemons)):
        for name, body in table.items():
            lines.append(f"[{section}.{name}]")
            for key, v in {**FAST, **body}.items():
                lines.append(f"{key} = {value(v)}")
    for phase, names in (phases or {}).items():
        lines += [f"[phases.{phase}]", f"daemons = {json.dumps(names)}"]
    return "\n".join(lines) + "\n"
