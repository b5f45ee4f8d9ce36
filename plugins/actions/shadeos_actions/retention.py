"""Keeping the registry small: past days compacted into one sorted file, days past retention deleted.

A day is compacted once it is over (the UTC day before yesterday or older:
no process still writes it). Compaction writes ``<day>.jsonl`` atomically,
then removes the segments; lines already in the compacted file are not
written twice, so a compaction interrupted between the two steps and run
again loses and duplicates nothing. One compaction runs at a time (a lock).
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field

from shadeos_core.fsio import atomic_write_bytes, file_lock

from .recorder import day_of
from .store import ActionStore

__all__ = ["compact", "Compaction"]


@dataclass
class Compaction:
    compacted: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def _sort_key(line: bytes) -> float:
    import json

    try:
        return float(json.loads(line)["time"])
    except (ValueError, KeyError, TypeError):
        return 0.0


def compact(store: ActionStore, *, retention: float, now: float | None = None) -> Compaction:
    """Compact the days that are over and delete those older than ``retention`` seconds."""
    now = time.time() if now is None else now
    done = Compaction()
    if not store.directory.is_dir():
        return done
    oldest_kept = day_of(now - retention)
    settled = day_of(now - 2 * 86400)
    with file_lock(store.directory / ".compact.lock"):
        for day in store.days():
            folder = store.directory / day
            if day < oldest_kept:
                (store.directory / f"{day}.jsonl").unlink(missing_ok=True)
                shutil.rmtree(folder, ignore_errors=True)
                done.deleted.append(day)
            elif day <= settled and folder.is_dir():
                _compact_day(store, day)
                done.compacted.append(day)
    return done


def _compact_day(store: ActionStore, day: str) -> None:
    seen: set[bytes] = set()
    lines: list[bytes] = []
    for path in store.files(day):
        for line in path.read_bytes().splitlines():
            if line.strip() and line not in seen:
                seen.add(line)
                lines.append(line)
    lines.sort(key=_sort_key)
    atomic_write_bytes(store.directory / f"{day}.jsonl", b"".join(line + b"\n" for line in lines))
    shutil.rmtree(store.directory / day, ignore_errors=True)
