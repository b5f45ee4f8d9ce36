"""How the supervisor starts, polls and ends its children's processes.

The supervisor acts on processes only through a :class:`ProcessStarter`; the
real one, :class:`ModeStarter`, goes through the ``background`` execution mode
(the process plugin's), or, for a daemon whose team file asks for it with
``mode = "<name>"``, through a mode that hosts daemons elsewhere (the ray
plugin's ``ray``: see :func:`daemon_mode`). A test gives the supervisor a
starter of its own that records starts and stops and decides when each
process ends.
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
    from shadeos_core.team import DaemonSpec

__all__ = ["Started", "ProcessStarter", "ModeStarter", "NO_BACKGROUND", "LOCAL", "daemon_mode"]

#: The mode every daemon is started through unless its team file names one that hosts daemons.
LOCAL = "background"

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
        """Start ``command`` in its own session, at once (never waits for it). A starter that can start through
        other modes also takes ``mode=NAME`` (the supervisor passes it only for a mode other than :data:`LOCAL`)."""

    def poll(self, pid: int) -> int | None:
        """The exit code of ``pid``, ``None`` while it runs."""

    def stop(self, pid: int, *, timeout: float) -> int | None:
        """Stop ``pid`` and its tree: SIGTERM, then SIGKILL after ``timeout``; its exit code (``None`` if it
        survived). Blocks: the supervisor calls it from its stop threads."""

    def terminate(self, pids: Sequence[int]) -> None:
        """Send SIGTERM to the process group of each of ``pids`` at once, without waiting."""

    def kill(self, processes: Sequence[tuple[int, float | None]]) -> None:
        """SIGKILL the trees of ``(pid, start time)`` now (a pid whose start time differs is left alone)."""


def daemon_mode(spec: DaemonSpec, kernel: Kernel) -> str:
    """The execution mode ``spec`` is started through: :data:`LOCAL`, or the mode its ``mode`` option names when
    that mode hosts daemons (``ray``). A one-line :class:`~shadeos_core.errors.ConfigError` when it names a mode
    of this repository's plugins that is not installed."""
    from shadeos_core.execution import MODE_PLUGINS, mode_not_installed

    wanted = spec.options.get("mode")
    if not isinstance(wanted, str) or wanted == LOCAL:
        return LOCAL
    cls = kernel.execution_modes.get(wanted)
    if cls is None:
        if wanted in MODE_PLUGINS:
            raise mode_not_installed(wanted, where=f"team {spec.team!r}, daemon {spec.name!r}")
        return LOCAL  # a value the daemon type reads itself (the command type's blocking or monitored)
    return wanted if getattr(cls, "hosts_daemons", False) else LOCAL


class ModeStarter:
    """Processes started by the kernel's ``background`` execution mode, or another mode that hosts daemons."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.mode: Any = None
        self.modes: dict[str, Any] = {}
        self.started_by: dict[int, Any] = {}  # pid -> the mode that started it, when not the background one

    def open(self, team: str) -> None:
        mode_cls = self.kernel.execution_modes.get("background")
        if mode_cls is None:
            raise KinError(f"cannot run team {team!r}: no 'background' execution mode is installed",
                           hint=NO_BACKGROUND)
        self.mode = mode_cls(self.kernel.workspace)
        become_subreaper()  # what the daemons' descendants leave behind comes back here (see orphans.py)

    def start(self, command: CommandSpec, mode: str = LOCAL) -> Started:
        import psutil

        runner = self.mode if mode == LOCAL else self._mode(mode)
        result = runner.run(command)
        if runner is not self.mode:
            self.started_by[result.pid] = runner
        try:
            started: float | None = psutil.Process(result.pid).create_time()
        except psutil.Error:
            started = None
        return Started(result.pid, started)

    def _mode(self, name: str) -> Any:
        if name not in self.modes:
            cls = self.kernel.execution_modes.get(name)
            if cls is None:
                from shadeos_core.execution import mode_not_installed

                raise mode_not_installed(name, self.kernel.execution_modes)
            self.modes[name] = cls(self.kernel.workspace)
        return self.modes[name]

    def poll(self, pid: int) -> int | None:
        code: int | None = self.started_by.get(pid, self.mode).poll(pid)
        if code is not None:
            self.started_by.pop(pid, None)
        return code

    def stop(self, pid: int, *, timeout: float) -> int | None:
        code: int | None = self.started_by.get(pid, self.mode).stop(pid, timeout=timeout)
        return code

    def terminate(self, pids: Sequence[int]) -> None:
        for pid in pids:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGTERM)

    def kill(self, processes: Sequence[tuple[int, float | None]]) -> None:
        kill_trees(processes, timeout=0.0)
