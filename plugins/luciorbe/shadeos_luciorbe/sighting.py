"""Classifying one luciorbe file into the five states: alive, stale, dead, malformed, foreign.

- ``alive``: owner on this host, a process with that pid and start time runs, ``last_update`` fresh;
- ``stale``: owner alive (or on another host) but silent past the threshold;
- ``dead``: owner on this host and its process is gone, reused (other start time) or a zombie;
- ``malformed``: unreadable, not JSON, or not the schema;
- ``foreign``: not ours to touch: owned by another uid, a symlink, or not a regular file.

A file is never read through a symlink (``O_NOFOLLOW``) and never read at all
when it is foreign. A file that vanishes before it is read yields nothing.
"""
from __future__ import annotations

import errno
import os
import stat
import time
from dataclasses import dataclass
from typing import Any

from shadeos_core.fsio import loads_json
from shadeos_core.luciorbe import PREFIX, Luciorbe, MalformedLuciorbe, liveness, parse_iso, process_matches
from shadeos_core.luciorbe_guard import DirId
from shadeos_core.luciorbe_record import FileId, identity
from shadeos_core.processes import HOST

from .config import LuciorbeSettings

__all__ = ["STATES", "Sighting", "Classifier", "FileId", "relative_path"]

STATES = ("alive", "stale", "dead", "malformed", "foreign")
#: A luciorbe is a few hundred bytes; anything this big is not one.
_MAX_BYTES = 1 << 20
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC



def relative_path(root: str | os.PathLike[str], path: str) -> str:
    """``path`` relative to ``root`` when beneath it, else as given; never resolved (it may be a symlink)."""
    top = os.fspath(root).rstrip("/")
    return path[len(top) + 1:] if path.startswith(top + "/") else path


@dataclass
class Sighting:
    """One luciorbe file and its state, with the identities needed to act on it safely later."""

    path: str  # absolute, no symlink in it
    state: str
    detail: str
    dir_id: DirId
    file_id: FileId | None
    luciorbe: Luciorbe | None = None
    age: float | None = None

    @property
    def directory(self) -> str:
        return os.path.dirname(self.path)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def daemon_id(self) -> str:
        if self.luciorbe is not None:
            return self.luciorbe.daemon_id
        return self.name[len(PREFIX) + 1:] if self.name.startswith(PREFIX + ".") else ""

    def facts(self) -> dict[str, Any]:
        """The JSON fields ``kin luciorbe list --json`` shows beside ``path`` and ``state``."""
        luc = self.luciorbe
        return {
            "daemon_id": self.daemon_id,
            "daemon_type": luc.daemon_type if luc else None,
            "team": luc.team if luc else None,
            "host": luc.host if luc else None,
            "pid": luc.pid if luc else None,
            "task": luc.task if luc else None,
            "status": luc.status if luc else None,
            "progress": luc.progress if luc else None,
            "last_update": luc.last_update if luc else None,
            "age_s": round(self.age, 3) if self.age is not None else None,
        }


class Classifier:
    """Classifies luciorbe files; remembers process checks for the length of one scan."""

    def __init__(self, settings: LuciorbeSettings, *, now: float | None = None) -> None:
        self.settings = settings
        self.now = time.time() if now is None else now
        self.uid = os.geteuid()
        self._processes: dict[tuple[int, float], bool] = {}
        self._deaths: dict[tuple[int, float], str] = {}

    def process_alive(self, pid: int, started: float) -> bool:
        key = (pid, started)
        known = self._processes.get(key)
        if known is None:
            known = self._processes[key] = process_matches(pid, started)
        return known

    def classify(self, path: str, dir_id: DirId) -> Sighting | None:
        """The state of the luciorbe at ``path`` (absolute, symlink-free directory); ``None`` if it vanished."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return Sighting(path, "malformed", f"cannot stat: {exc.strerror}", dir_id, None)
        foreign = self._foreign(st)
        if foreign:
            return Sighting(path, "foreign", foreign, dir_id, identity(st))
        try:
            fd = os.open(path, _FILE_FLAGS)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # replaced by a symlink since the lstat
                return Sighting(path, "foreign", "a symlink; never followed", dir_id, None)
            return Sighting(path, "malformed", f"cannot open: {exc.strerror}", dir_id, identity(st))
        try:
            st = os.fstat(fd)
            foreign = self._foreign(st)
            if foreign:
                return Sighting(path, "foreign", foreign, dir_id, identity(st))
            if st.st_size > _MAX_BYTES:
                return Sighting(path, "malformed", f"{st.st_size} bytes is too big for a luciorbe", dir_id,
                                identity(st))
            # Sized by fstat: a fixed 1 MiB buffer per read would cost more than the whole parse.
            raw = os.read(fd, st.st_size + 1)
        except OSError as exc:
            return Sighting(path, "malformed", f"unreadable: {exc.strerror}", dir_id, None)
        finally:
            os.close(fd)
        return self._judge(path, raw, dir_id, identity(st))

    def _foreign(self, st: os.stat_result) -> str:
        if stat.S_ISLNK(st.st_mode):
            return "a symlink; never followed"
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file"
        if st.st_uid != self.uid:
            return f"owned by uid {st.st_uid}, not {self.uid}"
        return ""

    def _judge(self, path: str, raw: bytes, dir_id: DirId, file_id: FileId) -> Sighting:
        try:
            luc = Luciorbe.from_json(loads_json(raw), path)  # type: ignore[arg-type]
        except MalformedLuciorbe as exc:
            return Sighting(path, "malformed", exc.reason, dir_id, file_id)
        except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, or absurdly nested
            return Sighting(path, "malformed", f"not JSON: {str(exc).splitlines()[0][:120]}", dir_id, file_id)
        name = os.path.basename(path)
        if name != PREFIX and name[len(PREFIX) + 1:] != luc.daemon_id:
            return Sighting(path, "malformed", f"file name says {name[len(PREFIX) + 1:]!r} but daemon_id is "
                            f"{luc.daemon_id!r}", dir_id, file_id, luc)
        age = self.now - parse_iso(luc.last_update)
        limit = self.settings.threshold(luc.daemon_type, float(luc.heartbeat_s))
        state = liveness(luc, now=self.now, stale_after=limit, process_alive=self.process_alive)
        if state == "dead":
            key = (luc.pid, float(luc.pid_started))
            why = self._deaths.get(key)
            if why is None:
                why = self._deaths[key] = self._why_dead(luc)
            return Sighting(path, "dead", why, dir_id, file_id, luc, age)
        if state == "stale":
            where = "" if luc.host == HOST else f" (on host {luc.host})"
            return Sighting(path, "stale", f"silent for {age:.0f}s, threshold {limit:g}s{where}", dir_id, file_id,
                            luc, age)
        return Sighting(path, "alive", f"pid {luc.pid} running", dir_id, file_id, luc, age)

    @staticmethod
    def _why_dead(luc: Luciorbe) -> str:
        import psutil

        try:
            proc = psutil.Process(luc.pid)
            if proc.status() == psutil.STATUS_ZOMBIE:
                return f"process {luc.pid} is a zombie"
            return f"pid {luc.pid} now belongs to another process (start time differs)"
        except psutil.NoSuchProcess:
            return f"process {luc.pid} is gone"
        except (psutil.AccessDenied, ValueError):
            return f"process {luc.pid} cannot be checked"
