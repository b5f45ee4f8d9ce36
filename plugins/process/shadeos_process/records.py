"""Process records: ``.kin/run/processes/<pid>.json``, so any ``kin`` process can list and stop managed processes.

A record holds ``schema``, ``pid``, ``create_time`` (psutil, to tell a reused pid
apart), ``host``, ``name``, ``owner`` (daemon id or ``""``), ``command`` (argv),
``mode``, ``cwd``, ``started_at``, ``parent_pid`` and ``parent_create_time``
(the process that started it), ``stdout_log``/``stderr_log`` (paths or
``null``) and, once the starter saw it end, ``returncode`` and ``ended_at``.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shadeos_core.fsio import atomic_write_json, read_json
from shadeos_core.processes import HOST, process_matches
from shadeos_core.workspace import Workspace

__all__ = ["ProcessRecord", "records_dir", "record_path", "write_record", "remove_record", "read_records",
           "create_time", "is_running", "SCHEMA"]

SCHEMA = 1


@dataclass
class ProcessRecord:
    pid: int
    create_time: float
    name: str
    command: list[str]
    mode: str
    owner: str = ""
    cwd: str = ""
    host: str = HOST
    started_at: float = field(default_factory=time.time)
    parent_pid: int = field(default_factory=os.getpid)
    parent_create_time: float = 0.0
    stdout_log: str | None = None
    stderr_log: str | None = None
    returncode: int | None = None
    ended_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, **asdict(self)}

    @classmethod
    def from_json(cls, data: Any) -> ProcessRecord:
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError("not a process record (schema 1)")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        record = cls(**known)
        if not isinstance(record.pid, int) or not isinstance(record.command, list):
            raise ValueError("pid or command of the wrong type")
        return record

    def alive(self) -> bool:
        """The recorded process still runs (same host, same pid, same start time, not a zombie)."""
        return self.host == HOST and is_running(self.pid, self.create_time)

    def starter_alive(self) -> bool:
        """The process that started this one still runs."""
        return self.host == HOST and is_running(self.parent_pid, self.parent_create_time)


def create_time(pid: int) -> float:
    """psutil's start time of ``pid`` (0.0 when it is gone)."""
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return 0.0


def is_running(pid: int, started: float) -> bool:
    """:func:`~shadeos_core.processes.process_matches`, or without a known start time (``0``), any live ``pid``."""
    if started:
        return process_matches(pid, started)
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, ValueError):
        return False


def records_dir(workspace: Workspace) -> Path:
    """The records' directory (not created: readers must not create state)."""
    return workspace.kin_dir / "run" / "processes"


def record_path(workspace: Workspace, pid: int) -> Path:
    return records_dir(workspace) / f"{int(pid)}.json"


def write_record(workspace: Workspace, record: ProcessRecord) -> Path:
    workspace.state_dir("run", "processes")
    path = record_path(workspace, record.pid)
    atomic_write_json(path, record.to_json(), indent=None)
    return path


def remove_record(workspace: Workspace, pid: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(record_path(workspace, pid))


def read_records(workspace: Workspace) -> list[tuple[Path, ProcessRecord | str]]:
    """Every record file with its content, or the reason it cannot be read (never raises for a bad file)."""
    directory = records_dir(workspace)
    out: list[tuple[Path, ProcessRecord | str]] = []
    if not directory.is_dir():
        return out
    for path in sorted(directory.glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            out.append((path, ProcessRecord.from_json(read_json(path))))
        except FileNotFoundError:
            continue
        except (OSError, ValueError, TypeError) as exc:
            out.append((path, str(exc)))
    return out
