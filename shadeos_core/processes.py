"""A process told apart by its pid **and** its start time, so a reused pid is never taken for its owner.

Every file that names a process (luciorbes and their records, the team state,
process records) records both; :func:`process_matches` is the one test of
whether that process still runs.
"""
from __future__ import annotations

import os
import socket

__all__ = ["HOST", "START_TOLERANCE", "process_matches", "own_start_time"]

#: This machine's name, as files record it: a process on another host cannot be checked from here.
HOST = socket.gethostname()
#: psutil's create_time comes from clock ticks; two readings of one process agree to well under this.
START_TOLERANCE = 0.05

_START_TIMES: dict[int, float] = {}


def process_matches(pid: int, started: float) -> bool:
    """A live, non-zombie process with this pid and this start time exists on this host."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - started) > START_TOLERANCE:
            return False
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


def own_start_time() -> float:
    """This process's start time as psutil reads it (read once per process)."""
    pid = os.getpid()  # keyed by pid so a forked child does not inherit its parent's value
    if pid not in _START_TIMES:
        import psutil

        _START_TIMES[pid] = psutil.Process(pid).create_time()
    return _START_TIMES[pid]
