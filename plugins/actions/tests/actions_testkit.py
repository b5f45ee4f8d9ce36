"""Helpers for the actions plugin's tests: team files with fast timings, `kin` runs, the records they leave."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from shadeos_core.testing import TeamRun, wait_for

__all__ = ["Run", "team_file", "records", "kin_json", "wait_for", "PY"]

PY = sys.executable
FAST = {"heartbeat": "0.5s", "start_seconds": "0.3s"}


class Run(TeamRun):
    """``kin <team>`` as a real process."""


def team_file(project: Path, name: str, daemons: dict[str, dict[str, Any]], *,
              meta: dict[str, dict[str, Any]] | None = None, extra: str = "") -> Path:
    lines = ["[team]", f'name = "{name}"', 'cycle = "0.2s"', 'stop_timeout = "5s"']
    for section, table in (("daemons", daemons), ("meta", meta or {})):
        for dname, body in table.items():
            lines.append(f"[{section}.{dname}]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in {**FAST, **body}.items()]
    path = project / "teams" / f"{name}.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def records(project: Path) -> list[dict[str, Any]]:
    """Every record of the workspace, through the plugin's own reader."""
    from shadeos_actions import ActionStore

    return list(ActionStore(project / ".kin" / "actions").read())


def kin_json(kin: Any, *args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    proc: subprocess.CompletedProcess[str] = kin(*args, "--json", cwd=cwd, env=env)
    assert proc.returncode == 0, f"kin {' '.join(args)} exited {proc.returncode}: {proc.stderr}"
    return json.loads(proc.stdout)
