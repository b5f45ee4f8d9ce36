"""Live updates: one watcher stat-polls the files the pages show; each open page follows it over SSE.

A topic (``team``, ``tasks``, ``agents``, ``luciorbes``, ``memory``) names a few paths; the watcher keeps a
version per topic, bumped when any of its paths changes (inode, size or mtime, or a directory's entries).
Nothing is rendered while nothing changes: an open page costs a stat of a few paths per interval.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path

__all__ = ["Watcher", "signature", "sse"]

Signature = tuple[tuple[str, int, int, int], ...]


def signature(paths: Iterable[Path]) -> Signature:
    """What identifies the current content of ``paths`` (a directory: its ``*.json``/``*.jsonl`` children too)."""
    out: list[tuple[str, int, int, int]] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            out.append((str(path), 0, 0, 0))
            continue
        out.append((str(path), st.st_ino, st.st_size, st.st_mtime_ns))
        if os.path.isdir(path):
            with contextlib.suppress(OSError):
                for entry in sorted(os.scandir(path), key=lambda e: e.name):
                    if entry.is_file(follow_symlinks=False):
                        child = entry.stat(follow_symlinks=False)
                        out.append((entry.path, child.st_ino, child.st_size, child.st_mtime_ns))
    return tuple(out)


class Watcher:
    """Versions of the topics; :meth:`run` polls every ``interval`` seconds until cancelled."""

    def __init__(self, topics: Mapping[str, Callable[[], Iterable[Path]]], interval: float = 0.2) -> None:
        self.topics = dict(topics)
        self.interval = interval
        self.versions = dict.fromkeys(self.topics, 0)
        self._seen: dict[str, Signature] = {}
        self._changed: asyncio.Event | None = None

    def poll(self) -> bool:
        """Look once; whether a topic changed."""
        changed = False
        for topic, paths in self.topics.items():
            now = signature(paths())
            if self._seen.get(topic) != now:
                if topic in self._seen:
                    self.versions[topic] += 1
                    changed = True
                self._seen[topic] = now
        return changed

    def version(self, topics: Iterable[str]) -> int:
        return sum(self.versions.get(t, 0) for t in topics)

    async def run(self) -> None:
        self._changed = asyncio.Event()
        self.poll()
        while True:
            await asyncio.sleep(self.interval)
            if self.poll():
                event, self._changed = self._changed, asyncio.Event()
                event.set()

    async def changed(self, timeout: float) -> bool:
        """Wait for the next change of any topic, at most ``timeout`` seconds; whether one came."""
        if self._changed is None:
            await asyncio.sleep(timeout)
            return False
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def follow(self, topics: Iterable[str], render: Callable[[], Awaitable[str]],
                     disconnected: Callable[[], Awaitable[bool]], keepalive: float = 15.0) -> AsyncIterator[str]:
        """SSE messages: the fragment ``render`` gives at once, then again after each change of ``topics``."""
        topics = list(topics)
        seen = -1
        while not await disconnected():
            version = self.version(topics)
            if version != seen:
                seen = version
                yield sse("fragment", await render())
            elif not await self.changed(keepalive):
                yield ": keepalive\n\n"


def sse(event: str, data: str) -> str:
    """One server-sent event (each line of ``data`` on a ``data:`` line)."""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {event}\n{lines}\n"
