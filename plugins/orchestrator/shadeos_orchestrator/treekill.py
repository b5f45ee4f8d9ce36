"""Stopping process trees this orchestrator did not start (leftovers of a dead orchestrator) or
must end at once (a second Ctrl+C): snapshot the tree, signal everyone, wait, kill survivors."""
from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterable

__all__ = ["kill_trees"]


def kill_trees(pids: Iterable[tuple[int, float | None]], *, timeout: float = 0.0) -> int:
    """End the processes ``(pid, start time)`` and all their descendants; returns how many were signalled.

    With ``timeout`` > 0 they get SIGTERM first and SIGKILL after ``timeout``
    seconds; with 0 they get SIGKILL at once. A pid whose start time does not
    match (the process is gone and the pid reused) is left alone.
    """
    import psutil

    procs: list[psutil.Process] = []
    for pid, started in pids:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            if started is not None and abs(proc.create_time() - started) > 0.05:
                continue
            procs.append(proc)
            procs.extend(proc.children(recursive=True))
    if not procs:
        return 0
    count = len(procs)
    first = signal.SIGTERM if timeout > 0 else signal.SIGKILL
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(first)
    if timeout > 0:
        _, alive = psutil.wait_procs(procs, timeout=timeout)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        procs = alive
    psutil.wait_procs(procs, timeout=2.0)
    return count
