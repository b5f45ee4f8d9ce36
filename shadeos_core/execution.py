"""How a command runs: the interface of execution modes (``blocking``, ``background``…)."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .workspace import Workspace

__all__ = ["CommandSpec", "ExecutionResult", "ExecutionMode"]


@dataclass
class CommandSpec:
    """A command to run. ``argv`` is a list; ``env`` is merged over the parent's environment.

    ``name`` names the log files of a background run (``.kin/logs/<name>.*``),
    ``owner`` is the daemon id the process belongs to.
    """

    argv: Sequence[str]
    cwd: str | os.PathLike[str] | None = None
    env: Mapping[str, str] | None = None
    timeout: float | None = None
    capture: bool = True
    name: str | None = None
    owner: str | None = None


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
