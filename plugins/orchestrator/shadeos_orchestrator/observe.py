"""What the orchestrator reads each cycle, cheaply: the team's luciorbes (only the recorded ones,
re-read only when a file changed) and each child's cpu and memory (cached psutil objects)."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from shadeos_core.fsio import read_json
from shadeos_core.luciorbe import Luciorbe, MalformedLuciorbe, parse_iso, read_luciorbe
from shadeos_core.workspace import Workspace

__all__ = ["Seen", "LuciorbeReader", "Resources"]


@dataclass
class Seen:
    """One luciorbe as last read, with the file it came from."""

    path: Path
    luciorbe: Luciorbe
    updated: float  # last_update as epoch seconds


class LuciorbeReader:
    """Reads the luciorbes recorded for a set of daemon ids (``.kin/run/luciorbes/<id>.json``).

    A record or a luciorbe is parsed again only when its modification time or size
    changed, so a cycle costs a few ``stat`` calls per daemon.
    """

    def __init__(self, workspace: Workspace, daemon_ids: Iterable[str]) -> None:
        self.workspace = workspace
        self.daemon_ids = list(daemon_ids)
        self.records_dir = workspace.kin_dir / "run" / "luciorbes"
        self._records: dict[str, tuple[tuple[int, int], dict]] = {}
        self._files: dict[Path, tuple[tuple[int, int], Seen | None]] = {}

    def record(self, daemon_id: str) -> dict | None:
        """The record of where ``daemon_id`` keeps luciorbes (``pid``, ``pid_started``, ``paths``), if any."""
        path = self.records_dir / f"{daemon_id}.json"
        try:
            st = os.stat(path)
        except FileNotFoundError:
            self._records.pop(daemon_id, None)
            return None
        key = (st.st_mtime_ns, st.st_size)
        cached = self._records.get(daemon_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            data = read_json(path)
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        self._records[daemon_id] = (key, data)
        return data

    def read(self, daemon_id: str) -> list[Seen]:
        """The daemon's current luciorbes (missing or malformed ones are skipped)."""
        record = self.record(daemon_id)
        if not record:
            return []
        out = []
        for raw in record.get("paths", []):
            seen = self._read_file(Path(raw))
            if seen is not None:
                out.append(seen)
        return out

    def _read_file(self, path: Path) -> Seen | None:
        try:
            st = os.stat(path)
        except OSError:
            self._files.pop(path, None)
            return None
        key = (st.st_mtime_ns, st.st_size)
        cached = self._files.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        seen = None
        with contextlib.suppress(MalformedLuciorbe, FileNotFoundError, ValueError):
            luc = read_luciorbe(path)
            seen = Seen(path, luc, parse_iso(luc.last_update))
        self._files[path] = (key, seen)
        return seen

    def forget(self, paths: Iterable[Path]) -> None:
        for path in paths:
            self._files.pop(path, None)


class Resources:
    """cpu % and resident memory of child processes, one cached ``psutil.Process`` per pid."""

    def __init__(self) -> None:
        self._procs: dict[int, object] = {}

    def sample(self, pids: Iterable[int]) -> dict[int, tuple[float, int]]:
        import psutil

        out: dict[int, tuple[float, int]] = {}
        wanted = set(pids)
        for pid in list(self._procs):
            if pid not in wanted:
                del self._procs[pid]
        for pid in wanted:
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = self._procs[pid] = psutil.Process(pid)
                    proc.cpu_percent(None)  # the first reading only sets the reference point
                with proc.oneshot():
                    out[pid] = (proc.cpu_percent(None), proc.memory_info().rss)
            except psutil.Error:
                self._procs.pop(pid, None)
        return out
