"""This process's side of the guardian (:mod:`shadeos_process.guardian`): start it once, report children to it.

The guardian is started lazily, by the first child this process spawns, so a
process that spawns nothing pays nothing; it is retired once no child has been
alive for :data:`IDLE_RETIRE` seconds (a daemon that runs a command now and
then does not keep a second interpreter around between runs). It reads a pipe whose write end only
this process holds (non-inheritable, and closed in a ``fork()``ed copy of this
process, which starts a guardian of its own when it spawns). :func:`watch`
reports a child after it is started, :func:`release` once it is reaped: one
``write`` of a few bytes each. When this process dies, however it dies, the
guardian stops the trees of the children it still knows.
"""
from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["available", "watch", "release", "watched", "guardian_pid", "SCRIPT"]

#: The guardian program, run by path with ``-I -S`` (standard library only).
SCRIPT = str(Path(__file__).with_name("guardian.py"))
#: Times a guardian that died is replaced before this process gives up on it.
_RESTARTS = 3
#: Seconds without a live child after which the guardian is retired (the next child starts a new one).
IDLE_RETIRE = 30.0
log = logging.getLogger("kin.process")


class _State:
    """The guardian of one OS process: ``owner`` is that process's pid, so a forked copy never uses it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owner = 0
        self.fd = -1
        self.proc: subprocess.Popen[bytes] | None = None
        self.live: set[int] = set()  # reported and not reaped: re-reported to a replacement guardian
        self.restarts = 0
        self.broken = False  # no guardian can run here: callers fall back to PR_SET_PDEATHSIG
        self.retire: threading.Timer | None = None


_state = _State()


def _forget_after_fork() -> None:
    global _state
    old, _state = _state, _State()
    if old.fd >= 0:
        with contextlib.suppress(OSError):
            os.close(old.fd)  # the parent's pipe: its guardian must see end of file when the parent dies


os.register_at_fork(after_in_child=_forget_after_fork)


def _start(state: _State) -> bool:
    """Start a guardian for this process (``state.lock`` held). False, with one log line, when it cannot run."""
    read_end, write_end = os.pipe()  # both non-inheritable: no child ever holds the write end
    try:
        state.proc = subprocess.Popen([sys.executable or "python3", "-I", "-S", SCRIPT, str(os.getpid())],
                                      stdin=read_end, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
    except (OSError, subprocess.SubprocessError) as exc:
        os.close(write_end)
        state.broken = True
        log.warning("cannot start the process guardian (%s): children get PR_SET_PDEATHSIG only, "
                    "which does not reach their own children", exc)
        return False
    finally:
        os.close(read_end)
    state.owner, state.fd = os.getpid(), write_end
    return True


def _current() -> _State | None:
    """This process's guardian state, the guardian started if needed; ``None`` when none can run."""
    state = _state
    if state.owner == os.getpid():
        return state
    if state.broken:
        return None
    with state.lock:
        if state.owner != os.getpid() and not state.broken:
            _start(state)
    return None if state.broken else state


def available() -> bool:
    """True when this process has a guardian (starting it on first use)."""
    return _current() is not None


def _send(state: _State, line: bytes) -> None:
    """Write ``line`` (``state.lock`` held); a guardian that died is replaced and told every live child again."""
    try:
        os.write(state.fd, line)
        return
    except OSError as exc:
        error = exc
    with contextlib.suppress(OSError):
        os.close(state.fd)
    state.fd, state.owner = -1, 0
    if state.proc is not None:
        state.proc.poll()  # reap it
    if state.restarts >= _RESTARTS:
        state.broken = True
        log.warning("the process guardian keeps dying (%s): children get PR_SET_PDEATHSIG only", error)
        return
    state.restarts += 1
    log.warning("the process guardian died (%s); starting a new one", error)
    if _start(state):
        with contextlib.suppress(OSError):
            # a pid in ``live`` is not reaped yet, so it cannot have been reused: the new guardian reads
            # the right start time
            os.write(state.fd, b"".join(b"+%d\n" % pid for pid in sorted(state.live)))


def watch(pid: int) -> None:
    """Report a child just started (a no-op when no guardian runs)."""
    state = _current()
    if state is None:
        return
    with state.lock:
        if state.owner != os.getpid():
            return
        if state.retire is not None:
            state.retire.cancel()
            state.retire = None
        state.live.add(pid)
        _send(state, b"+%d\n" % pid)


def release(pid: int) -> None:
    """Report a child reaped (its pid may be reused from now on)."""
    state = _state
    if state.owner != os.getpid() or pid not in state.live:
        return
    with state.lock:
        if pid in state.live and state.owner == os.getpid():
            state.live.discard(pid)
            _send(state, b"-%d\n" % pid)
            if not state.live and state.retire is None:
                state.retire = threading.Timer(IDLE_RETIRE, _retire, args=(state,))
                state.retire.daemon = True
                state.retire.start()


def _retire(state: _State) -> None:
    """Stop an idle guardian: end of file on its pipe, with no child left to stop, makes it exit."""
    with state.lock:
        state.retire = None
        if state.live or state.owner != os.getpid() or state.proc is None:
            return
        with contextlib.suppress(OSError):
            os.close(state.fd)
        proc, state.proc, state.fd, state.owner = state.proc, None, -1, 0
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        proc.wait(timeout=10)


def watched() -> set[int]:
    """The pids reported to this process's guardian and not yet released."""
    state = _state
    with state.lock:
        return set(state.live) if state.owner == os.getpid() else set()


def guardian_pid() -> int | None:
    """The pid of this process's guardian, ``None`` before the first child (or when none can run)."""
    state = _state
    if state.owner != os.getpid() or state.proc is None:
        return None
    return state.proc.pid
