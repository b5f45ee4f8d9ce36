"""What the orchestrator reads each cycle, cheaply: the team's luciorbes (only the recorded ones,
re-read only when a file changed) and each child's cpu and memory (a rotating share per cycle)."""
from __future__ import annotations

import contextlib
import math
import os
import time
from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from shadeos_core.luciorbe import Luciorbe, MalformedLuciorbe, parse_iso, read_luciorbe
from shadeos_core.luciorbe_record import LuciorbeRecord, read_record, record_path, records_dir
from shadeos_core.workspace import Workspace

__all__ = ["Seen", "LuciorbeReader", "Resources", "MODEL_FIELDS"]

#: Optional luciorbe fields of a daemon that calls a model (an agent): shown by kin status and the dashboard.
MODEL_FIELDS = ("model", "input_tokens", "output_tokens")

#: A directory modified this recently (ns) may change again within the same timestamp tick unseen.
_SETTLE_NS = 100_000_000


@dataclass
class Seen:
    """One luciorbe as last read, with the file it came from."""

    path: Path
    luciorbe: Luciorbe
    updated: float  # last_update as epoch seconds


def _visible(luc: Luciorbe) -> tuple[object, ...]:
    """What of a luciorbe shows in the team's state, apart from its age."""
    return (luc.pid, luc.status, luc.task, luc.progress, luc.current_file, luc.started_at, luc.extra.get("exclusive"),
            *(luc.extra.get(key) for key in MODEL_FIELDS))


class LuciorbeReader:
    """Reads the luciorbes recorded for a set of daemon ids (``.kin/run/luciorbes/<id>.json``).

    One ``stat`` of the records directory tells whether any record changed
    (records are replaced by rename or removed, both of which touch the
    directory); then one ``stat`` per luciorbe file, parsed again only when its
    modification time or size changed. :attr:`changed` turns true when
    something a reader of the team's state would see changed (a luciorbe came,
    went, or changed status, task, progress or file); the caller resets it.
    """

    def __init__(self, workspace: Workspace, daemon_ids: Iterable[str]) -> None:
        self.workspace = workspace
        self.daemon_ids = list(daemon_ids)
        self.records_dir = records_dir(workspace)
        self._records_dir = str(self.records_dir)
        self._records: dict[str, tuple[tuple[int, int], LuciorbeRecord, list[Path]]] = {}
        self._files: dict[Path, tuple[tuple[int, int], Seen | None]] = {}
        self._dir_key: tuple[int, int] | None = None
        self._dir_settled = False
        self._records_fresh = False
        self.changed = False

    def refresh(self) -> None:
        """Start a cycle: find out (one ``stat``) whether the cached records can be trusted."""
        try:
            st = os.stat(self._records_dir)
        except OSError:
            self._dir_key, self._records_fresh = None, False
            return
        key = (st.st_mtime_ns, st.st_ino)
        self._records_fresh = key == self._dir_key and self._dir_settled
        self._dir_key = key
        # A change within the file system's timestamp tick of this look could leave the same mtime:
        # trust the directory's mtime only once it is clearly older than the moment it was read.
        self._dir_settled = time.time_ns() - st.st_mtime_ns > _SETTLE_NS

    def record(self, daemon_id: str) -> LuciorbeRecord | None:
        """The record of where ``daemon_id`` keeps luciorbes, if any."""
        entry = self._record(daemon_id)
        return entry[1] if entry is not None else None

    def _record(self, daemon_id: str) -> tuple[tuple[int, int], LuciorbeRecord, list[Path]] | None:
        cached = self._records.get(daemon_id)
        if self._records_fresh:
            return cached
        path = record_path(self.workspace, daemon_id)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if self._records.pop(daemon_id, None) is not None:
                self.changed = True
            return None
        except OSError:
            return cached
        key = (st.st_mtime_ns, st.st_size)
        if cached is not None and cached[0] == key:
            return cached
        try:
            record = read_record(path)
        except (OSError, ValueError):
            return cached
        entry = (key, record, [Path(raw) for raw in record.paths])
        self._records[daemon_id] = entry
        self.changed = True
        return entry

    def read(self, daemon_id: str) -> list[Seen]:
        """The daemon's current luciorbes (missing or malformed ones are skipped)."""
        entry = self._record(daemon_id)
        if entry is None:
            return []
        out = []
        for path in entry[2]:
            seen = self._read_file(path)
            if seen is not None:
                out.append(seen)
        return out

    def _read_file(self, path: Path) -> Seen | None:
        try:
            st = os.stat(path)
        except OSError:
            if self._files.pop(path, None) is not None:
                self.changed = True
            return None
        key = (st.st_mtime_ns, st.st_size)
        cached = self._files.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        seen = None
        with contextlib.suppress(MalformedLuciorbe, FileNotFoundError, ValueError):
            luc = read_luciorbe(path)
            seen = Seen(path, luc, parse_iso(luc.last_update))
        before = cached[1] if cached is not None else None
        if (before is None) != (seen is None) or (
                before is not None and seen is not None and _visible(before.luciorbe) != _visible(seen.luciorbe)):
            self.changed = True
        self._files[path] = (key, seen)
        return seen

    def forget(self, paths: Iterable[Path]) -> None:
        for path in paths:
            self._files.pop(path, None)


class Resources:
    """cpu % and resident memory of child processes, each read about once per ``period`` seconds.

    :meth:`update` reads only the processes that are due, and at most their
    fair share for the time since the previous call (so 50 children at a
    0.05 s cycle cost 2 or 3 reads a cycle, never 50 at once). On Linux one
    read of ``/proc/<pid>/stat`` gives both figures; elsewhere psutil does.
    """

    def __init__(self, period: float = 1.0) -> None:
        self.period = period
        self.values: dict[int, tuple[float | None, int | None]] = {}  # pid -> (cpu %, rss bytes)
        self._last: dict[int, tuple[float, float]] = {}  # pid -> (monotonic time, cpu seconds) of the last read
        self._order: deque[int] = deque()  # pids, least recently read first
        self._called: float | None = None

    def update(self, pids: Collection[int], now: float | None = None) -> None:
        """Read the due share of ``pids``; processes no longer listed are forgotten."""
        now = time.monotonic() if now is None else now
        wanted = set(pids)
        for pid in [p for p in self.values if p not in wanted]:
            del self.values[pid]
            self._last.pop(pid, None)
            self._order.remove(pid)  # a reused pid must not find its old place in the queue
        for pid in wanted:
            if pid not in self.values:
                self.values[pid] = (None, None)
                self._order.appendleft(pid)  # a newcomer is read first
        elapsed = self.period if self._called is None else max(0.0, now - self._called)
        self._called = now
        budget = max(1, math.ceil(len(wanted) * min(elapsed, self.period) / self.period))
        for _ in range(len(self._order)):
            if budget <= 0:
                break
            pid = self._order[0]
            last = self._last.get(pid)
            if last is not None and now - last[0] < self.period:
                break  # the queue is in reading order: nobody behind is due either
            self._order.rotate(-1)
            budget -= 1
            reading = _read(pid)
            if reading is None:
                continue
            cpu_s, rss = reading
            cpu = None if last is None else round(100.0 * (cpu_s - last[1]) / max(now - last[0], 1e-6), 1)
            self.values[pid] = (cpu, rss)
            self._last[pid] = (now, cpu_s)


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC = os.path.isdir("/proc/self")


def _read(pid: int) -> tuple[float, int] | None:
    """(cpu seconds used, resident bytes) of ``pid``, or None when it is gone."""
    if not _PROC:
        import psutil

        try:
            proc = psutil.Process(pid)
            with proc.oneshot():
                times = proc.cpu_times()
                return times.user + times.system, proc.memory_info().rss
        except psutil.Error:
            return None
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        data = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    # After the command name in parentheses (which may hold spaces): state, then field 4 onwards.
    fields = data[data.rfind(b")") + 2:].split()
    try:
        return (int(fields[11]) + int(fields[12])) / _TICK, int(fields[21]) * _PAGE
    except (IndexError, ValueError):
        return None
