"""How a command runs: the interface of execution modes (``blocking``, ``background``…).

A mode that runs commands somewhere else (another machine) says where each one
landed in a **place** file, ``.kin/run/places/<pid>.json`` keyed by the local pid
the mode gave, so ``kin ps`` and ``kin status`` can show it without knowing
the mode::

    {"schema": 1, "pid": 4242, "mode": "ray", "where": "node 127.0.0.1 3f2a9c1b, actor 5804c3e1",
     "node": "3f2a…", "node_ip": "127.0.0.1", "actor_id": "5804…", "remote_pid": 3082}

``where`` is the one-line summary; the other keys are the mode's own.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .errors import ConfigError
from .fsio import atomic_write_json, read_json
from .processes import process_matches
from .workspace import Workspace

__all__ = ["CommandSpec", "ExecutionResult", "ExecutionMode", "write_place", "read_place", "remove_place",
           "mode_not_installed", "PLACED_ENV"]

PLACE_SCHEMA = 1


@dataclass
class CommandSpec:
    """A command to run. ``argv`` is a list; ``env`` is merged over the parent's environment.

    ``name`` names the log files of a background run (``.kin/logs/<name>.*``),
    ``owner`` is the daemon id the process belongs to. ``resources`` is what the
    command asks of the place it runs in (``num_cpus``, ``num_gpus``, ``memory``,
    any other name a custom resource); a mode that places commands on a cluster
    honours it, the local modes ignore it.
    """

    argv: Sequence[str]
    cwd: str | os.PathLike[str] | None = None
    env: Mapping[str, str] | None = None
    timeout: float | None = None
    capture: bool = True
    name: str | None = None
    owner: str | None = None
    resources: Mapping[str, Any] | None = None


@dataclass
class ExecutionResult:
    """What running a command gave. For a background run ``returncode`` is ``None`` until it ends."""

    pid: int
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    timed_out: bool = False
    mode: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class ExecutionMode:
    """A way of running commands; subclasses register with ``register_execution_modes``.

    ``run`` starts (and for blocking modes, finishes) a command. ``poll`` and
    ``stop`` act on a process this mode started, so a supervisor can manage
    children without knowing how they were launched.
    """

    name: ClassVar[str] = ""
    #: True for a mode the orchestrator may start a daemon through, when the daemon's team file asks for it
    #: (``mode = "<name>"``): its ``run`` returns at once with a local pid that ``poll`` and ``stop`` act on.
    hosts_daemons: ClassVar[bool] = False

    def __init__(self, workspace: Workspace | None = None) -> None:
        self.workspace = workspace

    def run(self, spec: CommandSpec, **callbacks: Any) -> ExecutionResult:
        raise NotImplementedError

    def poll(self, pid: int) -> int | None:
        """The exit code of a process this mode started, or ``None`` while it runs."""
        raise NotImplementedError

    def stop(self, pid: int, *, timeout: float = 10.0) -> int | None:
        """Stop the process and its whole tree: SIGTERM, wait ``timeout``, then SIGKILL. Returns the exit code."""
        raise NotImplementedError


#: Environment variable naming the mode that placed a daemon's runner (set by the orchestrator for a mode that
#: hosts daemons): a daemon that finds it runs its own work where it is instead of placing it again.
PLACED_ENV = "KIN_PLACED_BY"
#: Execution modes that plugins of this repository bring: mode name -> the plugin's directory under ``plugins/``.
MODE_PLUGINS = {"ray": "ray"}


def mode_not_installed(name: str, installed: Iterable[str] = (), *, where: str | None = None) -> ConfigError:
    """The one-line error for a mode nobody registered: how to install it, or the modes there are."""
    if name in MODE_PLUGINS:
        plugin = MODE_PLUGINS[name]
        return ConfigError(f"execution mode {name!r} is not installed: pip install shadeos-{plugin}", where=where,
                           hint=f"in this repository pip install -e plugins/{plugin}")
    known = ", ".join(sorted(installed)) or "none"
    return ConfigError(f"unknown execution mode {name!r}", where=where, hint=f"installed modes: {known}")


def _place_path(workspace: Workspace, pid: int) -> Path:
    return workspace.kin_dir / "run" / "places" / f"{int(pid)}.json"


def write_place(workspace: Workspace, pid: int, mode: str, where: str, **details: Any) -> None:
    """Say where the command behind local ``pid`` runs (written atomically; see the module's docstring). The
    pid's start time goes with it, so a place left behind is never shown for another process that reuses the pid."""
    import psutil

    try:
        started: float | None = psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        started = None
    workspace.state_dir("run", "places")
    atomic_write_json(_place_path(workspace, pid),
                      {"schema": PLACE_SCHEMA, "pid": int(pid), "pid_started": started, "mode": mode, "where": where,
                       **details}, indent=None)


def read_place(workspace: Workspace, pid: int) -> dict[str, Any] | None:
    """Where the command behind local ``pid`` runs, or ``None`` (a local process, or a file that is not a place)."""
    try:
        data = read_json(_place_path(workspace, pid))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != PLACE_SCHEMA or not isinstance(data.get("where"), str):
        return None
    started = data.get("pid_started")
    if isinstance(started, (int, float)) and not process_matches(int(pid), float(started)):
        return None  # that process ended (killed before it could remove its place): the pid is not its any more
    return data


def remove_place(workspace: Workspace, pid: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(_place_path(workspace, pid))
