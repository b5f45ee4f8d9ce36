"""Helpers for the orchestrator's tests: run `kin <team>` as a real process and look at what it does."""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shadeos_core import testing
from shadeos_core.testing import team_processes, wait_for

__all__ = ["TeamRun", "team_processes", "luciorbes", "child_env", "team_toml", "wait_for"]

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


def luciorbes(project: Path) -> list[Path]:
    return [p for p in project.rglob(".luciorbe*") if not p.name.endswith(".tmp")]


class TeamRun(testing.TeamRun):
    """A `kin <team>` process (stderr kept apart): its output, its published state, its children."""

    def __init__(self, project: Path, team: str, env: dict[str, str]) -> None:
        super().__init__(project, team, env, stderr_apart=True)

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
