"""Reading the registry: every record under ``.kin/actions/``, in time order, filtered as asked.

Layout (one owner: this module reads, :mod:`recorder` appends, :mod:`retention` compacts)::

    .kin/actions/<YYYY-MM-DD>/<host>-<pid>.jsonl   segments being written, one per process and day
    .kin/actions/<YYYY-MM-DD>.jsonl                a past day compacted into one file, sorted by time

Reading merges the files of the days asked for by time (each file is in
time order already), parses each line once, and skips a line that is not a
record (a torn tail after a machine crash) without failing.
"""
from __future__ import annotations

import heapq
import json
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .recorder import day_of
from .records import Record, paths

__all__ = ["ActionStore", "Query"]

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BY_TIME = operator.itemgetter("time")


@dataclass(frozen=True)
class Query:
    """Which records to read: all of them by default. ``path`` matches a file an action touched, or a
    directory holding it (``src`` matches ``src/a.py``)."""

    daemon: str | None = None
    kind: str | None = None
    path: str | None = None
    since: float | None = None
    until: float | None = None

    def keeps(self, record: Record) -> bool:
        if self.daemon is not None and record["daemon"] != self.daemon and \
                record["daemon"].rsplit(".", 1)[-1] != self.daemon:
            return False
        if self.kind is not None and record["kind"] != self.kind:
            return False
        t = record["time"]
        if (self.since is not None and t < self.since) or (self.until is not None and t > self.until):
            return False
        if self.path is not None:
            prefix = self.path.rstrip("/") + "/"
            return any(p == self.path or p.startswith(prefix) for p in paths(record))
        return True


_decode = json.JSONDecoder().decode


def _lines(path: Path) -> Iterator[Record]:
    try:
        handle = open(path, encoding="utf-8", errors="replace", newline="\n")
    except OSError:
        return
    with handle:
        for line in handle:
            try:
                record = _decode(line)
            except ValueError:
                continue  # a torn last line: what a crash of the machine can leave
            if isinstance(record, dict) and isinstance(record.get("time"), (int, float)) and \
                    isinstance(record.get("data"), dict):
                record.setdefault("daemon", "")
                record.setdefault("kind", "")
                yield record


class ActionStore:
    """The records of one workspace (``directory`` is its ``.kin/actions``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def days(self) -> list[str]:
        """The days holding records, oldest first."""
        if not self.directory.is_dir():
            return []
        names = {p.name.removesuffix(".jsonl") for p in self.directory.iterdir()}
        return sorted(n for n in names if _DAY.match(n))

    def files(self, day: str) -> list[Path]:
        """The files of ``day``: its compacted file and its segments."""
        out = []
        compacted = self.directory / f"{day}.jsonl"
        if compacted.is_file():
            out.append(compacted)
        folder = self.directory / day
        if folder.is_dir():
            out.extend(sorted(p for p in folder.iterdir() if p.suffix == ".jsonl"))
        return out

    def read(self, query: Query | None = None) -> Iterator[Record]:
        """Every record ``query`` keeps, oldest first."""
        query = query or Query()
        first = day_of(query.since) if query.since is not None else ""
        last = day_of(query.until) if query.until is not None else "9999"
        unfiltered = query == Query()
        for day in self.days():
            if not first <= day <= last:
                continue
            streams = [_lines(p) for p in self.files(day)]
            merged = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=_BY_TIME)
            if unfiltered:
                yield from merged
            else:
                yield from (r for r in merged if query.keeps(r))

    def size(self) -> tuple[int, int]:
        """``(files, bytes)`` the registry holds."""
        count = total = 0
        for day in self.days():
            for path in self.files(day):
                try:
                    total += path.stat().st_size
                    count += 1
                except OSError:
                    continue
        return count, total
