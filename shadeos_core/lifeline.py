"""Tie a child process's life to its parent's (Linux ``PR_SET_PDEATHSIG``)."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

__all__ = ["die_with_parent", "prepare", "become_subreaper", "PR_SET_PDEATHSIG", "PR_SET_CHILD_SUBREAPER"]

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
_libc = None


def prepare() -> None:
    """Load libc in this process now, so a later :func:`die_with_parent` in a ``preexec_fn`` does no lookup.

    ``ctypes.util.find_library`` may run ``ldconfig`` in a subprocess: after a
    fork that is slow and unsafe, so a parent that spawns children calls this first.
    """
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def die_with_parent(sig: int = signal.SIGTERM, *, parent_pid: int | None = None) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies.

    Safe to call from a ``preexec_fn``. If ``parent_pid`` is given and the
    parent is already gone (the race before the call), the signal is sent at
    once. Returns False where the platform has no such facility.
    """
    global _libc
    if not sys.platform.startswith("linux"):
        return False
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if _libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)
    return True


def become_subreaper() -> bool:
    """Make this process the one orphans of its descendants are given to (``PR_SET_CHILD_SUBREAPER``).

    A descendant that daemonises (fork, ``setsid``, fork again) then becomes a
    child of this process instead of init's, so it can still be found and
    stopped. The caller must reap such children. False where Linux is not.
    """
    global _libc
    if not sys.platform.startswith("linux"):
        return False
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return bool(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
