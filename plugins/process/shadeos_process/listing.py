"""What ``kin ps`` and ``kin kill`` see: process records with live figures, and name resolution."""
from __future__ import annotations

import time
from typing import Any

from shadeos_core.errors import KinError, UsageError
from shadeos_core.execution import read_place
from shadeos_core.workspace import Workspace

from .modes import MODES
from .records import ProcessRecord, read_records

__all__ = ["list_processes", "resolve_target"]


def list_processes(workspace: Workspace) -> list[dict[str, Any]]:
    """Every recorded process: pid, name, owner, command, mode, state (running|orphaned|gone), cpu_s, rss_mb, age_s,
    and ``place``: where a mode that runs commands elsewhere (ray) placed it (see :func:`shadeos_core.execution.read_place`),
    ``None`` for a local process."""
    import psutil

    rows = []
    now = time.time()
    for _, record in read_records(workspace):
        if not isinstance(record, ProcessRecord):
            continue
        cpu = rss = 0.0
        alive = record.alive()
        if alive:
            try:
                proc = psutil.Process(record.pid)
                with proc.oneshot():
                    times = proc.cpu_times()
                    cpu = times.user + times.system
                    rss = proc.memory_info().rss / 2**20
            except psutil.Error:
                alive = False
        state = ("running" if record.starter_alive() else "orphaned") if alive else "gone"
        place = read_place(workspace, record.pid) if alive and record.mode not in MODES else None
        rows.append({"pid": record.pid, "name": record.name, "owner": record.owner, "command": record.command,
                     "mode": record.mode, "state": state, "cpu_s": cpu, "rss_mb": rss,
                     "age_s": max(0.0, now - record.started_at), "starter_pid": record.parent_pid,
                     "returncode": record.returncode, "stdout_log": record.stdout_log,
                     "stderr_log": record.stderr_log, "place": place})
    return sorted(rows, key=lambda r: r["pid"])


def resolve_target(workspace: Workspace, target: str) -> list[int] | None:
    """``[pid]`` for a pid or a recorded name; ``None`` when ``target`` is neither (a program name, then)."""
    if target.isdigit():
        pid = int(target)
        if pid <= 0:
            raise UsageError(f"invalid pid {target!r}")
        import psutil

        if not psutil.pid_exists(pid):
            raise KinError(f"no process with pid {pid}", hint="see kin ps")
        return [pid]
    matches = [r.pid for _, r in read_records(workspace) if isinstance(r, ProcessRecord) and r.name == target
               and r.alive()]
    return matches or None
