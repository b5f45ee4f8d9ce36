"""Where each daemon process keeps luciorbes: ``.kin/run/luciorbes/<daemon_id>.json``.

Shape: ``{"daemon_id", "pid", "pid_started", "paths": [...]}``, written
atomically by the daemon's :class:`~shadeos_core.luciorbe.LuciorbeKeeper` each
time it opens or removes a luciorbe, removed with its last one. Janitors and
the orchestrator read it to find a daemon's luciorbes without walking the tree.

The file is untrusted input: fields of the wrong type are dropped (their
defaults apply), a record that is not a JSON object has no owner and no paths,
and the paths it lists are only ever acted on through
:mod:`shadeos_core.luciorbe_guard`.
"""
from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fsio import atomic_write_json, loads_json
from .processes import process_matches
from .shapes import INT, NUMBER, TEXT, texts, typed
from .workspace import Workspace, check_name

__all__ = ["LuciorbeRecord", "FileId", "identity", "records_dir", "record_path", "read_record", "read_records",
           "recorded_paths", "write_record", "remove_record"]

#: (st_dev, st_ino, st_mtime_ns, st_size): a file as it was read, checked again before acting on it.
FileId = tuple[int, int, int, int]

#: A record lists a few paths; anything this big is not one.
_MAX_BYTES = 1 << 20
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_FIELDS = {"daemon_id": TEXT, "pid": INT, "pid_started": NUMBER}


@dataclass(frozen=True)
class LuciorbeRecord:
    """One record: the daemon, its process (``None`` when the file does not say) and the paths it lists."""

    file: Path
    daemon_id: str
    pid: int | None = None
    pid_started: float | None = None
    paths: list[str] = field(default_factory=list)
    #: the record file as it was read (``None`` when it could not be read)
    file_id: FileId | None = None

    @classmethod
    def from_json(cls, data: Any, file: Path, file_id: FileId | None = None) -> LuciorbeRecord:
        """The record ``data`` holds; the daemon id defaults to the file's name."""
        values = typed(data, _FIELDS) if isinstance(data, dict) else {}
        started = values.get("pid_started")
        return cls(file, values.get("daemon_id") or file.stem, values.get("pid"),
                   float(started) if started is not None else None,
                   texts(values.get("paths")), file_id)

    def to_json(self) -> dict[str, Any]:
        return {"daemon_id": self.daemon_id, "pid": self.pid, "pid_started": self.pid_started, "paths": self.paths}

    @property
    def owner_known(self) -> bool:
        return self.pid is not None and self.pid_started is not None

    def owner_alive(self) -> bool:
        """The process that wrote the record still runs (same pid and start time, not a zombie)."""
        if self.pid is None or self.pid_started is None:
            return False
        return process_matches(self.pid, self.pid_started)


def records_dir(workspace: Workspace) -> Path:
    """The directory of the records (not created: readers must not create state)."""
    return workspace.kin_dir / "run" / "luciorbes"


def record_path(workspace: Workspace, daemon_id: str) -> Path:
    """The record of ``daemon_id`` (a safe name, else a ``UsageError``); nothing is created."""
    return records_dir(workspace) / f"{check_name(daemon_id, what='daemon id')}.json"


def read_record(path: str | os.PathLike[str]) -> LuciorbeRecord:
    """Read one record, never through a symlink.

    Raises ``OSError`` (``FileNotFoundError`` when there is none) or ``ValueError``
    when the file is not a regular file, not JSON, or not a JSON object.
    """
    p = Path(path)
    fd = os.open(p, _FILE_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{p}: not a regular file")
        if st.st_size > _MAX_BYTES:
            raise ValueError(f"{p}: {st.st_size} bytes is too big for a record")
        raw = os.read(fd, st.st_size + 1)
    finally:
        os.close(fd)
    data = loads_json(raw)
    if not isinstance(data, dict):
        raise ValueError(f"{p}: not a JSON object")
    return LuciorbeRecord.from_json(data, p, identity(st))


def identity(st: os.stat_result) -> FileId:
    """The identity of a file as ``os.stat`` saw it."""
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def read_records(workspace: Workspace) -> list[LuciorbeRecord]:
    """Every record, sorted by file name; one that cannot be read has no owner and no paths."""
    records: list[LuciorbeRecord] = []
    try:
        entries = sorted(os.scandir(records_dir(workspace)), key=lambda e: e.name)
    except FileNotFoundError:
        return records
    for entry in entries:
        if not entry.name.endswith(".json") or not entry.is_file(follow_symlinks=False):
            continue
        try:
            records.append(read_record(entry.path))
        except FileNotFoundError:
            continue
        except (OSError, ValueError):
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            records.append(LuciorbeRecord.from_json(None, Path(entry.path), identity(st)))
    return records


def recorded_paths(workspace: Workspace) -> dict[str, list[Path]]:
    """Every recorded luciorbe path, by daemon id, without walking the tree."""
    return {record.daemon_id: [Path(p) for p in record.paths] for record in read_records(workspace)}


def write_record(workspace: Workspace, record: LuciorbeRecord) -> None:
    """Atomically write ``record`` (its ``file`` must be :func:`record_path` of its daemon)."""
    workspace.state_dir("run", "luciorbes")
    atomic_write_json(record.file, record.to_json(), indent=None)


def remove_record(workspace: Workspace, daemon_id: str) -> None:
    """Remove the record of ``daemon_id`` (the daemon's own, when it keeps no luciorbe any more)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(record_path(workspace, daemon_id))
