"""The job file: what a proxy runs, ``.kin/run/ray/<token>.json``, written by :class:`~shadeos_ray.mode.RayMode`.

It is also the proof that a node sees the workspace: the remote side looks
for this very file before it starts anything (see :mod:`shadeos_ray.host`).

```json
{"schema": 1, "argv": ["pytest", "-q"], "cwd": "/project", "env": {"KIN_DAEMON": "ci.tests"},
 "resources": {"num_cpus": 1, "gpu_node": 1}, "name": "ci.tests", "owner": "ci.tests",
 "workspace": "/project", "settings": {"address": "auto", …}}
```
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadeos_core.errors import ConfigError
from shadeos_core.fsio import atomic_write_json, read_json

from .settings import RaySettings

if TYPE_CHECKING:
    from shadeos_core.workspace import Workspace

__all__ = ["Job", "write_job", "read_job", "SCHEMA"]

SCHEMA = 1


@dataclass
class Job:
    argv: list[str]
    cwd: str
    workspace: str
    settings: RaySettings
    env: dict[str, str] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    owner: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "argv": self.argv, "cwd": self.cwd, "env": self.env, "resources": self.resources,
                "name": self.name, "owner": self.owner, "workspace": self.workspace,
                "settings": self.settings.to_json()}


def write_job(workspace: Workspace, job: Job) -> Path:
    directory = workspace.state_dir("run", "ray")
    path = directory / f"job-{os.getpid()}-{secrets.token_hex(6)}.json"
    atomic_write_json(path, job.to_json(), indent=None)
    return path


def read_job(path: str | os.PathLike[str]) -> Job:
    """The job in ``path``; a one-line :class:`ConfigError` for a file that is not one."""
    try:
        data = read_json(path)
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError("not a ray job (schema 1)")
        argv = data["argv"]
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise ValueError("argv must be a non-empty list of strings")
        return Job(argv=argv, cwd=str(data["cwd"]), workspace=str(data["workspace"]),
                   settings=RaySettings.from_json(data["settings"]),
                   env={str(k): str(v) for k, v in dict(data.get("env") or {}).items()},
                   resources=dict(data.get("resources") or {}), name=str(data.get("name", "")),
                   owner=str(data.get("owner", "")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the ray job: {exc}", where=str(path)) from None
