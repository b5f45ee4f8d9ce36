"""How the supervisor starts, polls and ends its children's processes.

The supervisor acts on processes only through a :class:`ProcessStarter`; the
real one, :class:`ModeStarter`, goes through the ``background`` execution mode
(the process plugin's). A test gives the supervisor a starter of its own that
records starts and stops and decides when each process ends.
"""
from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from shadeos_core.errors import KinError
from shadeos_core.lifeline import become_subreaper

from .treekill import kill_trees

if TYPE_CHECKING:
    from shadeos_core.execution import CommandSpec
    from shadeos_core.kernel import Kernel

__all__ = ["Started", "ProcessStarter", "ModeStarter", "NO_BACKGROUND"]

NO_BACKGROUND = ("install the process plugin: pip install shadeos-process "
                 "(in this repository: pip install -e plugins/process)")


class Started(NamedTuple):
    """A process just started: its pid and its start time (``None`` if it could not be read)."""

    pid: int
    pid_started: float | None


class ProcessStarter(Protocol):
    def open(self, team: str) -> None:
        """Get ready to start ``team``'s processes (once, before the first start); a :class:`KinError` if it
        cannot."""

    def start(self, command: CommandSpec) -> Started:
        """Start ``command`` in its own session, at once (never waits for it)."""

    def poll(self, pid: int) -> int | None:
        """The exit code of ``pid``, ``None`` while it runs."""

    def stop(self, pid: int, *, timeout: float) -> int | None:
        """Stop ``pid`` and its tree: SIGTERM, then SIGKILL after ``timeout``; its exit code (``None`` if it
        survived). Blocks: the supervisor calls it from its stop threads."""

    def terminate(self, pids: Sequence[int]) -> None:
        """Send SIGTERM to the process group of each of ``pids`` at once, without waiting."""

    def kill(self, processes: Sequence[tuple[int, float | None]]) -> None:
        """SIGKILL the trees of ``(pid, start time)`` now (a pid whose start time differs is left alone)."""


class ModeStarter:
    """Processes started by the kernel's ``background`` execution mode."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.mode: Any = None

    def open(self, team: str) -> None:
        mode_cls = self.kernel.execution_modes.get("background")
        if mode_cls is None:
            raise KinError(f"cannot run team {team!r}: no 'background' execution mode is installed",
                           hint=NO_BACKGROUND)
        self.mode = mode_cls(self.kernel.workspace)
        become_subreaper()  # what the daemons' descendants leave behind comes back here (see orphans.py)

    def start(self, command: CommandSpec) -> Started:
        import psutil

        result = self.mode.run(command)
        try:
            started: float | None = psutil.Process(result.pid).create_time()
        except psutil.Error:
            started = None
        return Started(result.pid, started)

    def poll(self, pid: int) -> int | None:
        code: int | None = self.mode.poll(pid)
        return code

    def stop(self, pid: int, *, timeout: float) -> int | None:
        code: int | None = self.mode.stop(pid, timeout=timeout)
        return code

    def terminate(self, pids: Sequence[int]) -> None:
        for pid in pids:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGTERM)

    def kill(self, processes: Sequence[tuple[int, float | None]]) -> None:
        kill_trees(processes, timeout=0.0)
