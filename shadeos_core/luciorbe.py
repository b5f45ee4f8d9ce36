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
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .diskfaults import disk_fault, recovered
from .fsio import atomic_write_json, read_json
from .shapes import texts
from .workspace import Workspace, check_name

__all__ = [
    "SCHEMA", "STATUSES", "PREFIX", "Luciorbe", "MalformedLuciorbe", "LuciorbeHandle", "LuciorbeKeeper",
    "luciorbe_path", "is_luciorbe_name", "read_luciorbe", "liveness", "process_matches",
    "record_path", "recorded_paths", "iso_now", "parse_iso",
]

SCHEMA = 1
PREFIX = ".luciorbe"
STATUSES = ("starting", "processing", "waiting", "completed", "failed", "stale")
_HOST = socket.gethostname()
#: psutil's create_time comes from clock ticks; two readings of one process agree to well under this.
_START_TOLERANCE = 0.05


def iso_now(now: float | None = None) -> str:
    stamp = datetime.fromtimestamp(time.time() if now is None else now, tz=timezone.utc)
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
    host: str = _HOST
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
        return cls(daemon_id=daemon_id, host=_HOST, pid=os.getpid(), pid_started=_own_start_time(),
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


_START_TIMES: dict[int, float] = {}


def _own_start_time() -> float:
    pid = os.getpid()  # keyed by pid so a forked child does not inherit its parent's value
    if pid not in _START_TIMES:
        import psutil

        _START_TIMES[pid] = psutil.Process(pid).create_time()
    return _START_TIMES[pid]


def process_matches(pid: int, started: float) -> bool:
    """A live, non-zombie process with this pid and this start time exists on this host."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - started) > _START_TOLERANCE:
            return False
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


def liveness(luc: Luciorbe, *, now: float | None = None, stale_after: float | None = None) -> str:
    """``alive``, ``stale`` or ``dead`` by the rules of the format.

    ``dead``: owner on this host and its process is gone, reused or a zombie.
    ``stale``: silent for longer than ``stale_after`` (default 3 × ``heartbeat_s``).
    """
    if luc.host == _HOST and not process_matches(luc.pid, luc.pid_started):
        return "dead"
    limit = 3 * float(luc.heartbeat_s) if stale_after is None else stale_after
    return "stale" if luc.age(now) > limit else "alive"


# -- where each daemon wrote luciorbes (.kin/run/luciorbes/<daemon_id>.json) ------------

def record_path(workspace: Workspace, daemon_id: str) -> Path:
    return workspace.state_dir("run", "luciorbes") / f"{check_name(daemon_id, what='daemon id')}.json"


def recorded_paths(workspace: Workspace) -> dict[str, list[Path]]:
    """Every recorded luciorbe path, by daemon id, without walking the tree (unreadable records skipped)."""
    found: dict[str, list[Path]] = {}
    directory = workspace.kin_dir / "run" / "luciorbes"
    if not directory.is_dir():
        return found
    for entry in os.scandir(directory):
        if not entry.name.endswith(".json"):
            continue
        with contextlib.suppress(OSError, ValueError):
            data = read_json(entry.path)
            if isinstance(data, dict) and isinstance(data.get("daemon_id"), str):
                found[data["daemon_id"]] = [Path(p) for p in texts(data.get("paths"))]
    return found


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
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            return
        try:
            atomic_write_json(path, {"daemon_id": self.daemon_id, "pid": os.getpid(),
                                     "pid_started": _own_start_time(),
                                     "paths": sorted(str(p) for p in self._handles)}, indent=None)
        except OSError as exc:
            if not disk_fault(exc, path):
                raise
