"""The Python API: ``execute_command`` and the functions that act on managed processes."""
from __future__ import annotations

import enum
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shadeos_core.errors import KinError, UsageError
from shadeos_core.execution import CommandSpec, ExecutionResult
from shadeos_core.workspace import Workspace

from . import managed
from .modes import DEFAULT_GRACE, MODES
from .records import remove_record
from .spawn import build_argv

__all__ = ["ExecutionMode", "ProcessInfo", "execute_command", "communicate_with_process", "write_to_process",
           "read_until", "read_from_process", "wait_for_process", "get_active_processes",
           "cleanup_finished_processes"]


class ExecutionMode(enum.StrEnum):
    """How :func:`execute_command` runs a command. Values are the registered mode names.

    Not to be confused with :class:`shadeos_core.ExecutionMode`, the base class
    a plugin subclasses to add a mode; any registered name also works as ``mode``.
    """

    BLOCKING = "blocking"
    BACKGROUND = "background"
    INTERACTIVE = "interactive"
    MONITORED = "monitored"


@dataclass
class ProcessInfo:
    """A process this Python process manages."""

    pid: int
    name: str
    mode: str
    command: list[str]
    owner: str
    running: bool
    returncode: int | None
    timed_out: bool


def _mode_class(mode: str, workspace: Workspace | None) -> type:
    if mode in MODES:
        return MODES[mode]
    from shadeos_core.kernel import Kernel

    kernel = Kernel.load(workspace.root if workspace else None)
    return kernel.execution_modes.require(mode, where="execute_command(mode=...)")


def execute_command(cmd: str | Sequence[str], mode: ExecutionMode | str = ExecutionMode.BLOCKING, *,
                    timeout: float | None = None, cwd: str | None = None, env: Mapping[str, str] | None = None,
                    capture: bool = True, shell: bool = False, on_output: Callable[[str], Any] | None = None,
                    on_error: Callable[[str], Any] | None = None,
                    on_complete: Callable[[ExecutionResult], Any] | None = None, owner: str | None = None,
                    name: str | None = None, workspace: Workspace | None = None,
                    grace: float = DEFAULT_GRACE) -> ExecutionResult:
    """Run ``cmd`` (an argv list, or a string split with shlex unless ``shell``) in ``mode``.

    ``env`` is merged over this process's environment. ``timeout`` (seconds)
    holds in every mode: on expiry the whole tree gets SIGTERM, ``grace``
    seconds, then SIGKILL, and ``timed_out`` is true. BLOCKING returns the
    finished result; the other modes return at once with ``pid`` and fill the
    same result object in when the process ends (see :func:`wait_for_process`).
    ``name`` names a background run's logs; ``owner`` is the daemon id it belongs
    to; ``workspace`` defaults to the one found from ``cwd``.
    """
    argv = build_argv(cmd, shell=shell)
    if timeout is not None and timeout < 0:
        raise UsageError(f"timeout cannot be negative: {timeout!r}")
    mode_name = str(mode.value if isinstance(mode, ExecutionMode) else mode)
    cls = _mode_class(mode_name, workspace)
    runner = cls(workspace or Workspace.find(cwd))
    if hasattr(runner, "grace"):
        runner.grace = grace
    spec = CommandSpec(argv, cwd=cwd, env=env, timeout=timeout, capture=capture, name=name, owner=owner)
    callbacks = {k: v for k, v in (("on_output", on_output), ("on_error", on_error), ("on_complete", on_complete))
                 if v is not None}
    result: ExecutionResult = runner.run(spec, **callbacks)
    return result


def write_to_process(pid: int, data: str | bytes) -> None:
    """Write ``data`` to the stdin pipe of an INTERACTIVE process started here."""
    managed.require(pid).write(data)


def communicate_with_process(pid: int, data: str | bytes, *, expect: str | None = None,
                             timeout: float | None = 10.0) -> str | None:
    """Send ``data`` to an INTERACTIVE process; with ``expect`` (a regex) wait for and return its answer."""
    entry = managed.require(pid)
    entry.write(data)
    if expect is None:
        return None
    return entry.read_until(expect, timeout)


def read_until(pid: int, pattern: str | re.Pattern[str], timeout: float | None = 10.0) -> str:
    """Output (stdout and stderr as they arrive) up to the end of the first match of ``pattern``; consumed.

    ``TimeoutError`` when it does not come in time, :class:`KinError` when the process ended first.
    """
    return managed.require(pid).read_until(pattern, timeout)


def read_from_process(pid: int, max_lines: int = 50, *, stream: str = "stdout") -> list[str]:
    """The last ``max_lines`` lines a managed process printed on ``stream`` (``stdout`` or ``stderr``).

    For a background run, the tail of its log file. Only processes started by
    this Python process have captured output: any other pid is a clear error.
    """
    if stream not in ("stdout", "stderr"):
        raise UsageError(f"stream must be 'stdout' or 'stderr', not {stream!r}")
    entry = managed.lookup(pid)
    if entry is None:
        raise KinError(f"process {pid} was not started here, so its output cannot be read",
                       hint="for a recorded background process use kin logs NAME")
    if entry.record is not None and (entry.record.stdout_log if stream == "stdout" else entry.record.stderr_log):
        from .logfiles import tail_lines

        path = entry.record.stdout_log if stream == "stdout" else entry.record.stderr_log
        return tail_lines(path, max_lines)  # type: ignore[arg-type]
    lines = list(entry.out_tail if stream == "stdout" else entry.err_tail)
    return lines[-max_lines:] if max_lines > 0 else []


def wait_for_process(pid: int, timeout: float | None = None) -> ExecutionResult:
    """Wait for a process started here to end and return its filled-in result."""
    entry = managed.lookup(pid)
    if entry is None:
        raise KinError(f"process {pid} was not started here", hint="use kin ps / kin kill for other processes")
    return entry.wait(timeout)


def get_active_processes() -> list[ProcessInfo]:
    """Processes started here that still run."""
    return [info for info in _infos() if info.running]


def cleanup_finished_processes() -> list[ExecutionResult]:
    """Forget processes started here that have ended (and remove their records); returns their results."""
    finished = []
    for entry in managed.managed():
        if entry.popen.poll() is None:
            continue
        deadline = time.monotonic() + 5
        while not entry.done.is_set() and time.monotonic() < deadline:
            entry.done.wait(0.05)  # the reader threads deliver the last lines first
        managed.forget(entry.pid)
        if entry.workspace is not None:
            remove_record(entry.workspace, entry.pid)
        finished.append(entry.result)
    return finished


def _infos() -> list[ProcessInfo]:
    out = []
    for entry in managed.managed():
        code = entry.popen.poll()
        out.append(ProcessInfo(pid=entry.pid, name=entry.name, mode=entry.mode, command=entry.argv,
                               owner=entry.record.owner if entry.record else "", running=code is None,
                               returncode=code, timed_out=entry.result.timed_out))
    return out
