"""Helpers for the agents plugin's tests: a scripted model server, a real git project, `kin <team>` as a process."""
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

from fakellm import FakeLLM, Reply, Request, call, llm_home

__all__ = ["FakeLLM", "Reply", "Request", "call", "llm_home", "TeamRun", "agent_team", "git", "history",
           "wait_for", "CHOOSE", "is_choosing", "scripted", "team_processes"]

CHOOSE = "Choose the single most useful concrete task"


def is_choosing(request: Request) -> bool:
    return CHOOSE in request.last_user


def scripted(task: str, steps: list[Any]) -> Callable[[Request], Reply]:
    """A model that chooses ``task``, then answers each turn of the work with the next of ``steps``
    (a :class:`Reply`, a tool call ``(name, args)``, or a list of tool calls); it finishes after the last."""

    def script(request: Request) -> Reply:
        if is_choosing(request):
            return Reply(text=task)
        turn = request.turns
        if turn < len(steps):
            step = steps[turn]
            if isinstance(step, Reply):
                return step
            return Reply(tool_calls=step if isinstance(step, list) else [step])
        return Reply(tool_calls=[call("finish", summary="done")])

    return script


def git(project: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True).stdout


def history(project: Path, daemon_id: str) -> list[dict[str, Any]]:
    path = project / ".kin" / "agents" / daemon_id / "history.jsonl"
    try:
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except OSError:
        return []


def agent_team(name: str, agents: dict[str, dict[str, Any]], *, team: dict[str, Any] | None = None,
               meta: dict[str, dict[str, Any]] | None = None) -> str:
    """A team file of agents with fast timings; each agent cycles once at start, then on messages."""

    def value(v: Any) -> str:
        return json.dumps(v)

    settings = {"name": name, "cycle": "0.2s", "stop_timeout": "5s", **(team or {})}
    lines = ["[team]", *(f"{k} = {value(v)}" for k, v in settings.items())]
    for section, table in (("meta", meta or {}), ("daemons", agents)):
        for dname, body in table.items():
            defaults = {"type": "agent", "heartbeat": "0.5s", "start_seconds": "0.3s", "every": "1h",
                        "on_message": True, "retries": 0, "backoff": "0.1s", "timeout": "20s"} \
                if section == "daemons" else {"heartbeat": "0.5s", "start_seconds": "0.3s"}
            lines.append(f"[{section}.{dname}]")
            lines += [f"{k} = {value(v)}" for k, v in {**defaults, **body}.items() if v is not None]
    return "\n".join(lines) + "\n"


def team_processes(project: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmd = proc.info["cmdline"] or []
        if proc.info["status"] != psutil.STATUS_ZOMBIE and "shadeos_core.runner" in cmd \
                and any(str(project) in part for part in cmd):
            found.append(proc)
    return found


class TeamRun:
    """``kin <team>`` as a real process in ``project``, with ``env`` (the llm configuration among it)."""

    def __init__(self, project: Path, team: str, env: dict[str, str]) -> None:
        self.project = project
        self.team = team
        self.out_path = project.parent / f"{team}.{time.time_ns()}.out"
        with open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "shadeos_core", team], cwd=project,
                                         env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def output(self) -> str:
        return self.out_path.read_text(errors="replace")

    def state(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.project / ".kin" / "run" / "teams" / f"{self.team}.json").read_text())
        except (OSError, ValueError):
            return None

    def daemon(self, name: str) -> dict[str, Any] | None:
        for d in (self.state() or {}).get("daemons", []):
            if d["name"] == name:
                return d
        return None

    def cycles(self, name: str, at_least: int = 1, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Wait until agent ``name`` recorded ``at_least`` cycles; returns its history (oldest first)."""
        daemon_id = f"{self.team}.{name}"
        try:
            return wait_for(lambda: (h := history(self.project, daemon_id)) and len(h) >= at_least and h, timeout,
                            f"{at_least} cycle(s) of {daemon_id}")
        except AssertionError:
            log = self.project / ".kin" / "logs" / f"{daemon_id}.log"
            extra = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise AssertionError(f"{daemon_id} did not record {at_least} cycle(s)\n{self.output[-3000:]}\n{extra}") \
                from None

    def stop(self, timeout: float = 60.0) -> int:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGINT)
        return self.proc.wait(timeout=timeout)

    def kill_everything(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        for proc in team_processes(self.project):
            with contextlib.suppress(psutil.Error):
                proc.kill()
