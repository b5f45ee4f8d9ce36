"""The ``command`` daemon type: run a program once per cycle and report how it went.

Team file::

    [daemons.tests]
    type = "command"
    command = ["pytest", "-q"]
    mode = "blocking"        # or "monitored": output lines go to the daemon's log as they come
    timeout = "5m"
    every = "10m"            # or watch = ["src/**"]
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from shadeos_core.daemon import CycleResult, Daemon, Injection
from shadeos_core.durations import format_duration
from shadeos_core.errors import ConfigError

__all__ = ["CommandDaemon"]

_MODES = ("blocking", "monitored")
_NOTES_LINES = 10
_NOTES_CHARS = 2000


class CommandDaemon(Daemon):
    """Runs ``command`` once per cycle; exit code, duration and output tail go to its luciorbe and a ``command`` event."""

    description = "run a program once per cycle (exit code, duration and output tail reported)"
    OPTIONS = {"command": list, "mode": str, "timeout": "duration", "shell": bool, "env": dict, "cwd": str}

    def setup(self) -> None:
        where = f"team {self.team.name!r}, daemon {self.name!r}"
        command = self.options.get("command")
        if not command:
            raise ConfigError("the command daemon needs a command", where=where,
                              hint='add command = ["program", "arg"]')
        mode = self.options.get("mode", "blocking")
        if mode not in _MODES:
            raise ConfigError(f"mode must be one of {', '.join(_MODES)}, not {mode!r}", where=where)
        env = self.options.get("env") or {}
        if not all(isinstance(k, str) and isinstance(v, (str, int, float)) for k, v in env.items()):
            raise ConfigError("env must map names to strings", where=where)
        self.cwd = str(self.workspace.inside(self.options.get("cwd", self.spec.workdir), what="cwd"))
        self.running_pid: int | None = None

    def cycle(self, injections: Sequence[Injection]) -> CycleResult:
        from .api import execute_command
        from .spawn import CommandNotFound

        command: list[str] = self.options["command"]
        shown = " ".join(command)
        mode = self.options.get("mode", "blocking")
        output = logging.getLogger(f"kin.{self.daemon_id}.output")
        started = time.perf_counter()
        try:
            result = execute_command(
                command, mode, timeout=self.options.get("timeout"), cwd=self.cwd,
                env={k: str(v) for k, v in (self.options.get("env") or {}).items()},
                shell=bool(self.options.get("shell", False)), owner=self.daemon_id, workspace=self.workspace,
                on_output=output.info, on_error=output.warning)
            self.running_pid = result.pid
            if mode != "blocking":
                from .api import wait_for_process

                result = wait_for_process(result.pid)
        except CommandNotFound as exc:
            self.emit("command", command=command, returncode=127, duration=time.perf_counter() - started,
                      timed_out=False, error=str(exc))
            return CycleResult(status="error", task=f"run {shown}", progress="not found", notes=str(exc))
        except BaseException:
            self._stop_running()
            raise
        finally:
            self.running_pid = None
        tail = _tail(result.stdout, result.stderr)
        status = "ok" if result.returncode == 0 and not result.timed_out else "error"
        outcome = "timed out" if result.timed_out else f"exit {result.returncode}"
        self.emit("command", command=command, returncode=result.returncode, duration=result.duration,
                  timed_out=result.timed_out, tail=tail)
        self.log.info("%s: %s in %s", shown, outcome, format_duration(result.duration))
        return CycleResult(status=status, task=f"run {shown}",
                           progress=f"{outcome} in {format_duration(result.duration)}", notes=tail,
                           data={"returncode": result.returncode, "duration": result.duration,
                                 "timed_out": result.timed_out})

    def _stop_running(self) -> None:
        # A stop signal arrived mid-command: the command's tree must not outlive the daemon.
        from .termination import kill_process_tree

        if self.running_pid is not None:
            kill_process_tree(self.running_pid, timeout=self.spec.stop_timeout)

    def teardown(self) -> None:
        self._stop_running()

    def status(self) -> dict[str, Any]:
        return {**super().status(), "command": self.options.get("command"), "running_pid": self.running_pid}


def _tail(stdout: str, stderr: str) -> str:
    lines = (stdout.splitlines() + stderr.splitlines())[-_NOTES_LINES:]
    text = "\n".join(lines)
    return text[-_NOTES_CHARS:]
