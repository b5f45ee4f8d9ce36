"""Luciorbes: the small JSON heartbeats a daemon leaves in the directories it works in.

Format (``<dir>/.luciorbe.<daemon_id>``, UTF-8 JSON, written atomically)::

    {"schema": 1, "daemon_id": "coding.production", "daemon_type": "agent",
     "team": "coding", "host": "…", "pid": 4242, "pid_started": 1763650000.12,
     "started_at": "…Z", "last_update": "…Z", "heartbeat_s": 5, "task": "…",
     "status": "processing", "progress": "5/10", "current_file": "src/parser.py",
     "temp_files": [], "notes": "…"}
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .diskfaults import disk_fault, recovered
from .fsio import atomic_write_json, read_json
from .luciorbe_record import LuciorbeRecord, record_path, remove_record, write_record
from .processes import HOST, own_start_time, process_matches
from .workspace import Workspace, check_name

__all__ = [
    "SCHEMA", "STATUSES", "PREFIX", "Luciorbe", "MalformedLuciorbe", "LuciorbeHandle", "LuciorbeKeeper",
    "luciorbe_path", "is_luciorbe_name", "read_luciorbe", "liveness", "process_matches", "iso_now", "parse_iso",
]

SCHEMA = 1
PREFIX = ".luciorbe"
STATUSES = ("starting", "processing", "waiting", "completed", "failed", "stale")


def iso_now(now: float | None = None) -> str:
    stamp = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Seconds since the epoch for an ISO-8601 UTC stamp (``Z`` or an offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def luciorbe_path(directory: str | os.PathLike[str], daemon_id: str) -> Path:
    return Path(directory) / f"{PREFIX}.{check_name(daemon_id, what='daemon id')}"


def is_luciorbe_name(name: str) -> bool:
    """Exactly ``.luciorbe`` or ``.luciorbe.<id>`` (a temp file of an atomic write is not one)."""
    if name == PREFIX:
        return True
    if not name.startswith(PREFIX + ".") or len(name) == len(PREFIX) + 1:
        return False
    return not name.endswith(".tmp")


class MalformedLuciorbe(ValueError):
    """A luciorbe file that cannot be read or does not follow the schema."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "daemon_id": str, "host": str, "pid": int, "pid_started": (int, float), "last_update": str,
    "heartbeat_s": (int, float), "status": str,
}


@dataclass
class Luciorbe:
    """One heartbeat file's content."""

    daemon_id: str
    daemon_type: str = ""
    team: str = ""
    host: str = HOST
    pid: int = 0
    pid_started: float = 0.0
    started_at: str = ""
    last_update: str = ""
    heartbeat_s: float = 5
    task: str = ""
    status: str = "starting"
    progress: str = ""
    current_file: str = ""
    temp_files: list[str] = field(default_factory=list)
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_this_process(cls, daemon_id: str, **fields: Any) -> Luciorbe:
        now = iso_now()
        fields.setdefault("started_at", now)
        return cls(daemon_id=daemon_id, host=HOST, pid=os.getpid(), pid_started=own_start_time(),
                   last_update=now, **fields)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        return {"schema": SCHEMA, **data, **extra}

    @classmethod
    def from_json(cls, data: Any, path: Path) -> Luciorbe:
        if not isinstance(data, dict):
            raise MalformedLuciorbe(path, "not a JSON object")
        if data.get("schema") != SCHEMA:
            raise MalformedLuciorbe(path, f"unknown schema {data.get('schema')!r} (expected {SCHEMA})")
        for key, kind in _REQUIRED.items():
            if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
                raise MalformedLuciorbe(path, f"field {key!r} missing or of the wrong type")
        if data["status"] not in STATUSES:
            raise MalformedLuciorbe(path, f"unknown status {data['status']!r}")
        try:
            parse_iso(data["last_update"])
        except ValueError:
            raise MalformedLuciorbe(path, f"bad last_update {data['last_update']!r}") from None
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        values = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known and k != "schema"}
        return cls(**values, extra=extra)

    def age(self, now: float | None = None) -> float:
        """Seconds since ``last_update``."""
        return (time.time() if now is None else now) - parse_iso(self.last_update)


def read_luciorbe(path: str | os.PathLike[str]) -> Luciorbe:
    """Read and validate one luciorbe; any problem is a :class:`MalformedLuciorbe`, never another error."""
    p = Path(path)
    try:
        data = read_json(p)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise MalformedLuciorbe(p, f"unreadable: {exc}") from None
    return Luciorbe.from_json(data, p)


def liveness(luc: Luciorbe, *, now: float | None = None, stale_after: float | None = None,
             process_alive: Callable[[int, float], bool] = process_matches) -> str:
    """``alive``, ``stale`` or ``dead`` by the rules of the format (the one place they are written).

    ``dead``: owner on this host and its process is gone, reused or a zombie.
    ``stale``: silent for longer than ``stale_after`` (default 3 × ``heartbeat_s``).
    ``process_alive`` answers :func:`process_matches` (a caller checking many files may remember answers).
    """
    if luc.host == HOST and not process_alive(luc.pid, float(luc.pid_started)):
        return "dead"
    limit = 3 * float(luc.heartbeat_s) if stale_after is None else stale_after
    return "stale" if luc.age(now) > limit else "alive"


class LuciorbeHandle:
    """A luciorbe being kept by this process: update it, it is rewritten atomically."""

    def __init__(self, keeper: LuciorbeKeeper, path: Path, data: Luciorbe) -> None:
        self._keeper = keeper
        self.path = path
        self.data = data
        self._lock = threading.Lock()
        self.released = False

    def update(self, **fields: Any) -> None:
        """Change fields (``task``, ``status``, ``progress``, ``current_file``, ``notes``…) and rewrite."""
        with self._lock:
            for key, value in fields.items():
                if key in Luciorbe.__dataclass_fields__ and key != "extra":
                    setattr(self.data, key, value)
                else:
                    self.data.extra[key] = value
            if self.data.status not in STATUSES:
                raise ValueError(f"unknown luciorbe status {self.data.status!r}; use one of {', '.join(STATUSES)}")
            self._write()

    def beat(self) -> None:
        with self._lock:
            self._write()

    def _write(self) -> None:
        if self.released:  # never recreate a luciorbe its keeper removed (a late heartbeat or update)
            return
        self.data.last_update = iso_now()
        try:
            atomic_write_json(self.path, self.data.to_json(), indent=None)
        except OSError as exc:
            if not disk_fault(exc, self.path):
                raise
            return  # kept in memory: the next update or heartbeat writes it
        recovered(self.path)

    def remove(self) -> None:
        self._keeper.release(self)


class LuciorbeKeeper:
    """All luciorbes one daemon process keeps: creates, beats, records and removes them."""

    def __init__(self, workspace: Workspace, daemon_id: str, *, daemon_type: str = "", team: str = "",
                 heartbeat_s: float = 5) -> None:
        self.workspace = workspace
        self.daemon_id = check_name(daemon_id, what="daemon id")
        self.daemon_type = daemon_type
        self.team = team
        self.heartbeat_s = heartbeat_s
        self._handles: dict[Path, LuciorbeHandle] = {}
        self._lock = threading.Lock()

    def open(self, directory: str | os.PathLike[str] = ".", **fields: Any) -> LuciorbeHandle:
        """Create (or take over) this daemon's luciorbe in ``directory`` (inside the workspace)."""
        target_dir = self.workspace.inside(directory, what="luciorbe directory")
        path = luciorbe_path(target_dir, self.daemon_id)
        with self._lock:
            handle = self._handles.get(path)
            if handle is None:
                data = Luciorbe.for_this_process(self.daemon_id, daemon_type=self.daemon_type, team=self.team,
                                                 heartbeat_s=self.heartbeat_s)
                handle = LuciorbeHandle(self, path, data)
                self._handles[path] = handle
                self._save_record()
        handle.update(**fields)
        return handle

    @contextlib.contextmanager
    def task(self, directory: str | os.PathLike[str] = ".", task: str = "", **fields: Any) -> Iterator[LuciorbeHandle]:
        """A luciorbe for the length of a task: ``processing`` inside, removed on completion or failure."""
        path = luciorbe_path(self.workspace.inside(directory, what="luciorbe directory"), self.daemon_id)
        # A task where this daemon already keeps a luciorbe (its workdir) shares it: removing it here would
        # leave its longer-lived holder rewriting a file nobody tracks, left behind at exit.
        shared = path in self._handles
        handle = self.open(directory, task=task, status="processing", **fields)
        try:
            yield handle
        except BaseException:
            with contextlib.suppress(Exception):
                handle.update(status="failed")
            raise
        else:
            handle.update(status="completed")
        finally:
            if not shared:
                handle.remove()

    def release(self, handle: LuciorbeHandle) -> None:
        with self._lock, handle._lock:
            handle.released = True
            self._handles.pop(handle.path, None)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(handle.path)
            self._save_record()

    def beat(self) -> None:
        """Refresh ``last_update`` of every kept luciorbe."""
        for handle in list(self._handles.values()):
            with contextlib.suppress(OSError):
                handle.beat()

    def release_all(self) -> None:
        for handle in list(self._handles.values()):
            self.release(handle)

    @property
    def handles(self) -> list[LuciorbeHandle]:
        return list(self._handles.values())

    def _save_record(self) -> None:
        path = record_path(self.workspace, self.daemon_id)
        if not self._handles:
            remove_record(self.workspace, self.daemon_id)
            return
        try:
            write_record(self.workspace, LuciorbeRecord(path, self.daemon_id, os.getpid(), own_start_time(),
                                                        sorted(str(p) for p in self._handles)))
        except OSError as exc:
            if not disk_fault(exc, path):
                raise
