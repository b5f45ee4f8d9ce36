"""Watched-file triggers on top of watchdog: globs over the workspace, debounced."""
from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .fsio import is_atomic_temp
from .globs import GlobSet

__all__ = ["DebouncedWatcher", "IGNORED_DIRS"]

IGNORED_DIRS = (".git", ".kin", "__pycache__", "node_modules", ".venv", "venv", ".tox")
#: A burst that never goes quiet is still delivered after this many debounce intervals.
MAX_WAIT_FACTOR = 10


def _handler(callback: Callable[[Any], None]) -> Any:
    from watchdog.events import FileSystemEventHandler

    class _Handler(FileSystemEventHandler):
        def on_any_event(self, event: Any) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            callback(event)

    return _Handler()


class DebouncedWatcher:
    """Watch ``root`` recursively; after a burst of changes to paths matching ``patterns``
    has been quiet for ``debounce`` seconds, call ``callback(set_of_relative_paths)`` once.
    A burst that never goes quiet (a busy team keeps writing) is delivered anyway
    ``max_wait`` seconds after its first change (default: ten debounce intervals).

    An editor's atomic save (write a temp file, rename it over the original) is
    reported as a change of the original, and the temp file itself as nothing
    (kin's own atomic writes, such as every heartbeat, would otherwise keep a
    burst going). Paths under :data:`IGNORED_DIRS` and luciorbe files are
    ignored; the top-level ones (``.git/``, ``.kin/``…) are not even watched:
    the root is watched alone, each other top-level directory recursively (one
    watch thread each), and a top-level directory created later is added when
    it appears.
    """

    def __init__(self, root: str | os.PathLike[str], patterns: Iterable[str], callback: Callable[[set[str]], None],
                 *, debounce: float = 0.2, max_wait: float | None = None) -> None:
        self.root = Path(root).resolve()
        self.globs = GlobSet(patterns)
        self.callback = callback
        self.debounce = debounce
        self.max_wait = debounce * MAX_WAIT_FACTOR if max_wait is None else max(max_wait, debounce)
        self._pending: set[str] = set()
        self._burst_since = 0.0  # monotonic time of the first change of the pending burst
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._observer: Any = None

    def start(self) -> None:
        from watchdog.observers import Observer

        self._observer = Observer()
        self._handler = _handler(self._on_event)
        self._watched: dict[str, Any] = {}
        self._observer.schedule(self._handler, str(self.root), recursive=False)
        with os.scandir(self.root) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    self._watch_top(entry.name)
        self._observer.start()

    def _watch_top(self, name: str) -> bool:
        """Watch top-level directory ``name`` recursively, unless it is one kin ignores (or watched already)."""
        if name in IGNORED_DIRS or name in self._watched:
            return False
        try:
            self._watched[name] = self._observer.schedule(self._handler, str(self.root / name), recursive=True)
        except OSError:
            return False  # gone already, or not readable
        return True

    def _top_level_change(self, event: Any) -> None:
        """A top-level directory appeared (watch it, and take what was written in it before the watch began) or
        went away (its watch goes too, so one of the same name is watched again)."""
        if event.event_type in ("deleted", "moved"):
            gone = Path(os.fsdecode(event.src_path))
            if gone.parent == self.root and (watch := self._watched.pop(gone.name, None)) is not None:
                with contextlib.suppress(KeyError, OSError):
                    self._observer.unschedule(watch)
        if event.event_type not in ("created", "moved"):
            return
        new = Path(os.fsdecode(event.dest_path if event.event_type == "moved" else event.src_path))
        if new.parent != self.root or not self._watch_top(new.name):
            return
        found: set[str] = set()
        for directory, dirnames, filenames in os.walk(new):
            dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS]
            found.update(rel for rel in (self._relevant(os.path.join(directory, f)) for f in filenames) if rel)
        self._note(found)

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()

    def _relevant(self, path: str) -> str | None:
        try:
            rel = Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return None
        parts = rel.split("/")
        if any(part in IGNORED_DIRS for part in parts[:-1]) or parts[-1].startswith(".luciorbe") \
                or is_atomic_temp(parts[-1]):
            return None
        if self.globs and not self.globs.match(rel):
            return None
        return rel

    def _on_event(self, event: Any) -> None:
        if event.is_directory:
            self._top_level_change(event)
            return
        paths = [event.src_path]
        if event.event_type == "moved":
            paths = [event.dest_path]  # atomic save: the destination is what changed
        self._note({rel for rel in map(self._relevant, map(os.fsdecode, paths)) if rel})

    def _note(self, hits: set[str]) -> None:
        """Add changed paths to the burst; the callback runs once the burst has been quiet for ``debounce``,
        or ``max_wait`` after the burst's first change, whichever comes first."""
        if not hits:
            return
        with self._lock:
            now = time.monotonic()
            if not self._pending:
                self._burst_since = now
            self._pending |= hits
            if self._timer is not None:
                self._timer.cancel()
            delay = min(self.debounce, max(0.0, self._burst_since + self.max_wait - now))
            self._timer = threading.Timer(delay, self._flush)
            self._timer.daemon = True
            self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, set()
            self._timer = None
        if batch:
            self.callback(batch)
