"""The ``command`` daemon type: run a program once per cycle and report how it went.

Team file::

    [daemons.tests]
    type = "command"
    command = ["pytest", "-q"]
    mode = "blocking"        # or "monitored": output lines go to the daemon's log as they come
    timeout = "5m"
    every = "10m"            # or watch = ["src/**"]

``mode`` may also name an installed mode that hosts daemons elsewhere
(``mode = "ray"``, with the ray plugin): the orchestrator then starts the
daemon itself through that mode (on a node of the cluster, chosen by
``resources = {num_cpus = 2, gpu_node = 1}``), and each cycle runs the command
there, blocking. Run outside such a placement (``KIN_PLACED_BY`` unset), each
cycle sends the command through that mode and waits for it.

The command's output goes to the daemon's log (``kin logs NAME``): stdout lines
at INFO, stderr lines at WARNING, under the logger ``kin.<daemon_id>.output``
(after each run in blocking mode, as they come in monitored mode). A run that
fails (non-zero exit, timeout, program not found) sets ``failing`` on the
daemon's luciorbe, e.g. ``exit 2: AssertionError: 1 != 2`` (how it failed and
its last line of output); the next run that succeeds clears it. The
orchestrator shows it (``RUNNING failing`` in the dashboard and ``kin status``).
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from shadeos_core.daemon import CycleResult, Daemon, Injection, OptionError
from shadeos_core.durations import format_duration
from shadeos_core.errors import ConfigError, KinError
from shadeos_core.execution import PLACED_ENV, ExecutionResult

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel
    from shadeos_core.team import DaemonSpec

__all__ = ["CommandDaemon"]

_MODES = ("blocking", "monitored")
_NOTES_LINES = 10
_NOTES_CHARS = 2000
_FAILING_CHARS = 200
_LOG_READ = 1 << 20  # bytes of a run's output read back from its logs


class CommandDaemon(Daemon):
    """Runs ``command`` once per cycle; exit code, duration and output tail go to its luciorbe and a ``command`` event."""

    description = "run a program once per cycle (exit code, duration and output tail reported)"
    OPTIONS: ClassVar[dict[str, Any]] = {"command": list, "mode": str, "timeout": "duration", "shell": bool,
                                         "env": dict, "cwd": str, "resources": dict}

    @classmethod
    def check_options(cls, spec: DaemonSpec, kernel: Kernel) -> None:
        mode = spec.options.get("mode", "blocking")
        if mode in _MODES:
            return
        mode_cls = kernel.execution_modes.get(mode)
        if mode_cls is None:
            from shadeos_core.execution import MODE_PLUGINS, mode_not_installed

            if mode in MODE_PLUGINS:
                error = mode_not_installed(mode)
                raise OptionError("mode", error.message, hint=error.hint)
        if mode_cls is None or not getattr(mode_cls, "hosts_daemons", False):
            raise OptionError("mode", f"must be one of {', '.join(_MODES)} or a mode that hosts daemons (ray), "
                                      f"not {mode!r}")

    def setup(self) -> None:
        where = f"team {self.team.name!r}, daemon {self.name!r}"
        command = self.options.get("command")
        if not command:
            raise ConfigError("the command daemon needs a command", where=where,
                              hint='add command = ["program", "arg"]')
        mode = self.options.get("mode", "blocking")
        if mode not in _MODES and not getattr(self.kernel.execution_modes.get(mode), "hosts_daemons", False):
            raise ConfigError(f"mode must be one of {', '.join(_MODES)} or an installed mode that hosts daemons, "
                              f"not {mode!r}", where=where)
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
        elsewhere = mode not in _MODES
        if elsewhere and os.environ.get(PLACED_ENV) == mode:
            mode, elsewhere = "blocking", False  # this daemon already runs where the mode placed it
        output = logging.getLogger(f"kin.{self.daemon_id}.output")
        started = time.perf_counter()
        try:
            env = {k: str(v) for k, v in (self.options.get("env") or {}).items()}
            if elsewhere:
                result = self._run_elsewhere(mode, command, env)
            else:
                result = execute_command(
                    command, mode, timeout=self.options.get("timeout"), cwd=self.cwd, env=env,
                    shell=bool(self.options.get("shell", False)), owner=self.daemon_id, workspace=self.workspace,
                    on_output=output.info, on_error=output.warning)
            self.running_pid = result.pid
            if mode != "blocking":
                from .api import wait_for_process

                result = wait_for_process(result.pid)
                if elsewhere:
                    _read_logs(result)
        except CommandNotFound as exc:
            self.emit("command", command=command, returncode=127, duration=time.perf_counter() - started,
                      timed_out=False, error=str(exc))
            self.log.warning("%s: %s", shown, exc)
            self._failing(exc.message[:_FAILING_CHARS])
            return CycleResult(status="error", task=f"run {shown}", progress="not found", notes=str(exc))
        except BaseException:
            self._stop_running()
            raise
        finally:
            self.running_pid = None
        if mode == "blocking" or elsewhere:
            _log_output(output, result.stdout, result.stderr, result.extra.get("dropped_bytes"))
        tail = _tail(result.stdout, result.stderr)
        failed = result.returncode != 0 or result.timed_out
        outcome = "timed out" if result.timed_out else f"exit {result.returncode}"
        self.emit("command", command=command, returncode=result.returncode, duration=result.duration,
                  timed_out=result.timed_out, tail=tail)
        (self.log.warning if failed else self.log.info)("%s: %s in %s", shown, outcome,
                                                        format_duration(result.duration))
        self._failing(_failure(outcome, result.stdout, result.stderr) if failed else None)
        status = "error" if failed else "ok"
        return CycleResult(status=status, task=f"run {shown}",
                           progress=f"{outcome} in {format_duration(result.duration)}", notes=tail,
                           data={"returncode": result.returncode, "duration": result.duration,
                                 "timed_out": result.timed_out})

    def _run_elsewhere(self, mode: str, command: list[str], env: dict[str, str]) -> ExecutionResult:
        """Start the command through ``mode`` (output to its log files), for the cycle to wait for."""
        from shadeos_core.execution import CommandSpec

        from .spawn import build_argv

        runner = self.kernel.execution_modes[mode](self.workspace)
        resources = self.options.get("resources")
        spec = CommandSpec(build_argv(command, shell=bool(self.options.get("shell", False))), cwd=self.cwd, env=env,
                           timeout=self.options.get("timeout"), owner=self.daemon_id,
                           resources=resources if isinstance(resources, dict) else None)
        result: ExecutionResult = runner.run(spec)
        self.running_pid = result.pid
        return result

    def _failing(self, how: str | None) -> None:
        """Say on the daemon's own luciorbe whether its last run failed (the orchestrator shows it)."""
        if not self.luciorbes.handles:
            return  # not hosted by a runner (a cycle called directly): no luciorbe to say it on
        try:
            self.luciorbes.open(self.spec.workdir, failing=how)
        except (OSError, KinError, ValueError):
            self.log.debug("luciorbe update failed", exc_info=True)

    def _stop_running(self) -> None:
        # A stop signal arrived mid-command: the command's tree must not outlive the daemon.
        from .termination import kill_process_tree

        if self.running_pid is not None:
            kill_process_tree(self.running_pid, timeout=self.spec.stop_timeout)

    def teardown(self) -> None:
        self._stop_running()

    def status(self) -> dict[str, Any]:
        return {**super().status(), "command": self.options.get("command"), "running_pid": self.running_pid}


def _read_logs(result: ExecutionResult) -> None:
    """Fill a finished background run's output in from its log files (then removed: one run, one pair of files)."""
    for key, stream in (("stdout_log", "stdout"), ("stderr_log", "stderr")):
        path = result.extra.get(key)
        if not path:
            continue
        with contextlib.suppress(OSError):
            setattr(result, stream, Path(path).read_bytes()[-_LOG_READ:].decode("utf-8", "replace"))
            os.unlink(path)


def _log_output(output: logging.Logger, stdout: str, stderr: str, dropped: int | None) -> None:
    if dropped:
        output.warning("(%d bytes of output dropped: only the newest output was kept)", dropped)
    for line in stdout.splitlines():
        output.info("%s", line)
    for line in stderr.splitlines():
        output.warning("%s", line)


def _failure(outcome: str, stdout: str, stderr: str) -> str:
    """How a run failed, on one line: its outcome and its last line of output (stderr first)."""
    last = next((line.strip() for line in reversed(stderr.splitlines() or stdout.splitlines()) if line.strip()), "")
    return f"{outcome}: {last}"[:_FAILING_CHARS] if last else outcome


def _tail(stdout: str, stderr: str) -> str:
    lines = (stdout.splitlines() + stderr.splitlines())[-_NOTES_LINES:]
    text = "\n".join(lines)
    return text[-_NOTES_CHARS:]
