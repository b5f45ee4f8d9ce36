"""Helpers for the agents plugin's tests: a scripted model server, a real git project, `kin <team>` as a process."""
from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shadeos_agents.testing import FakeLLM, Reply, Request, call, llm_home
from shadeos_core import testing
from shadeos_core.testing import team_processes, wait_for

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


class TeamRun(testing.TeamRun):
    """``kin <team>`` as a real process in ``project``, with ``env`` (the llm configuration among it)."""

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
