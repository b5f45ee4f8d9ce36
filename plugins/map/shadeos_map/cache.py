"""Token counts remembered by (path, size, mtime_ns, inode) in ``.kin/state/map-cache.json``.

One compact JSON file, written atomically. It is dropped whole when the
active token counter changes (see :meth:`TokenCounter.identity`), so a count
never outlives the tokenizer that produced it.
"""
from __future__ import annotations

import time
from collections.abc import Container
from pathlib import Path
from typing import Any

from shadeos_core.fsio import atomic_write_text, dumps_json, loads_json

__all__ = ["TokenCache", "CACHE_SCHEMA", "Stamp"]

CACHE_SCHEMA = 1
#: (size, mtime_ns, inode): a file whose stamp is unchanged keeps its count.
Stamp = tuple[int, int, int]


class TokenCache:
    """``path -> [size, mtime_ns, inode, tokens]``; ``tokens`` is ``None`` for a binary file (known, not counted).

    Rows are kept as the JSON lists they are stored as: loading 10,000 of them
    is then one ``json.loads``, which is most of what a warm map costs.
    """

    def __init__(self, path: Path, counter: str) -> None:
        self.path = path
        self.counter = counter
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        self.saved_at = 0.0

    @classmethod
    def load(cls, path: Path, counter: str) -> TokenCache:
        """The cache at ``path``; empty when missing, unreadable, of another schema or another counter."""
        cache = cls(path, counter)
        try:
            data = loads_json(path.read_bytes())
        except (OSError, ValueError):
            return cache
        if not isinstance(data, dict) or data.get("schema") != CACHE_SCHEMA or data.get("counter") != counter:
            cache.dirty = True
            return cache
        files = data.get("files")
        if isinstance(files, dict):
            cache.entries = files
        return cache

    def get(self, rel: str, stamp: Stamp) -> tuple[bool, int | None]:
        """``(hit, tokens)``: a hit when ``rel`` was seen with exactly this stamp."""
        row = self.entries.get(rel)
        if type(row) is list and len(row) == 4 and row[0] == stamp[0] and row[1] == stamp[1] and row[2] == stamp[2]:
            tokens = row[3]
            if tokens is None or (type(tokens) is int and tokens >= 0):
                return True, tokens
        return False, None

    def put(self, rel: str, stamp: Stamp, tokens: int | None) -> None:
        self.entries[rel] = [*stamp, tokens]
        self.dirty = True

    def forget(self, rel: str) -> None:
        if self.entries.pop(rel, None) is not None:
            self.dirty = True

    def keep_only(self, paths: Container[str]) -> None:
        """Drop every entry not in ``paths`` (after a full scan)."""
        stale = [rel for rel in self.entries if rel not in paths]
        for rel in stale:
            del self.entries[rel]
        self.dirty = self.dirty or bool(stale)

    def save(self, *, at_most_every: float = 0.0) -> None:
        """Write the cache atomically if it changed (and, with ``at_most_every``, if the last save is that old)."""
        if not self.dirty or time.monotonic() - self.saved_at < at_most_every:
            return
        data: dict[str, Any] = {"schema": CACHE_SCHEMA, "counter": self.counter, "files": self.entries}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, dumps_json(data, separators=(",", ":")))
        self.dirty = False
        self.saved_at = time.monotonic()
