"""Starting a child process: its own session, stopped with its tree when its parent dies, environment merged."""
from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from shadeos_core.errors import KinError, UsageError
from shadeos_core.lifeline import die_with_parent, prepare

__all__ = ["CommandNotFound", "build_argv", "merged_env", "spawn", "safe_name", "watches_its_parent", "PDEATHSIG"]

#: What a child receives when the process that started it dies. SIGKILL, because a
#: child that ignores SIGTERM must still go; the daemon runner re-arms it with
#: SIGTERM itself (``KIN_PARENT_PID``) to get its graceful teardown.
PDEATHSIG = signal.SIGKILL
_UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]+")


class CommandNotFound(KinError):
    """The executable of a command does not exist or cannot be run (exit code 127, like a shell)."""

    exit_code = 127


def build_argv(cmd: str | Sequence[str], *, shell: bool = False) -> list[str]:
    """``cmd`` as an argv list: a list is kept, a string is split with shlex (or run by ``/bin/sh -c`` with ``shell``).

    With ``shell`` and a list, the items are joined with spaces into one shell line.
    """
    if isinstance(cmd, (str, bytes)):
        text = os.fsdecode(cmd)
        if shell:
            return ["/bin/sh", "-c", text]
        try:
            argv = shlex.split(text)
        except ValueError as exc:
            raise UsageError(f"cannot split command {text!r}: {exc}", hint="check the quotes") from None
    else:
        argv = [os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in cmd]
        if shell:
            return ["/bin/sh", "-c", " ".join(argv)]
    if not argv or not argv[0]:
        raise UsageError("empty command", hint="give the program to run, e.g. ['pytest', '-q']")
    return argv


def merged_env(env: Mapping[str, str] | None) -> dict[str, str] | None:
    """``env`` laid over this process's environment (``None`` when there is nothing to add)."""
    if not env:
        return None
    return {**os.environ, **{str(k): str(v) for k, v in env.items()}}


def safe_name(argv0: str, pid: int) -> str:
    """A log/record name made from the program's base name and the pid: ``pytest-4242``."""
    base = _UNSAFE.sub("_", Path(argv0).name).lstrip("._-")[:60] or "process"
    return f"{base}-{pid}"


def _lifeline(parent: int) -> Any:
    def preexec() -> None:
        die_with_parent(PDEATHSIG, parent_pid=parent)

    return preexec


def watches_its_parent(env: Mapping[str, str] | None) -> bool:
    """True when the child is told (``KIN_PARENT_PID`` = this pid) to watch this process itself.

    The daemon runner does: it re-arms PR_SET_PDEATHSIG with SIGTERM for its graceful teardown.
    """
    return bool(env) and env.get("KIN_PARENT_PID") == str(os.getpid())  # type: ignore[union-attr]


def spawn(argv: Sequence[str], *, cwd: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None,
          stdin: int | IO[Any] | None = subprocess.DEVNULL, stdout: int | IO[Any] | None = None,
          stderr: int | IO[Any] | None = None, pdeathsig: bool = True) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session, stopped with its whole tree when this process dies.

    The child is reported to this process's guardian (:mod:`shadeos_process.guard`),
    which stops its tree when this process dies, SIGKILL included. With
    ``pdeathsig`` the child also gets Linux ``PR_SET_PDEATHSIG`` (SIGKILL): it
    dies at the very moment this process does, even if the guardian was
    killed, but it takes a ``preexec_fn``, which costs about 2 ms a start; and
    it fires when the *thread* that forked the child ends, so such children
    must be started from a long-lived thread. When no guardian can run, every
    child gets it. A child told to watch this process itself
    (:func:`watches_its_parent`) is not reported: it handles its parent's
    death on its own terms (the daemon runner's graceful teardown).
    A missing executable raises :class:`CommandNotFound`.
    """
    from . import guard  # here, not at the top: kin --help imports this module

    guarded = not watches_its_parent(env)
    if pdeathsig or not (guarded and guard.available()):
        prepare()
        preexec = _lifeline(os.getpid())
    else:
        preexec = None  # lets CPython use vfork: a start then costs what a bare subprocess.run does
    try:
        popen = subprocess.Popen(list(argv), cwd=cwd, env=merged_env(env), stdin=stdin, stdout=stdout,
                                 stderr=stderr, start_new_session=True, preexec_fn=preexec)
    except FileNotFoundError as exc:
        if cwd is not None and not os.path.isdir(cwd):
            raise UsageError(f"working directory {str(cwd)!r} does not exist", hint="create it or fix cwd") from None
        raise CommandNotFound(f"command not found: {argv[0]!r}",
                              hint="check the spelling, or that it is installed and on PATH") from exc
    except PermissionError as exc:
        raise CommandNotFound(f"cannot execute {argv[0]!r}: permission denied",
                              hint="make it executable (chmod +x) or run it through its interpreter") from exc
    if guarded:
        guard.watch(popen.pid)
    return popen
