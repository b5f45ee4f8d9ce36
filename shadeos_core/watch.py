"""Watched-file triggers on top of watchdog: globs over the workspace, debounced."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .globs import GlobSet

__all__ = ["DebouncedWatcher", "IGNORED_DIRS"]

IGNORED_DIRS = (".git", ".kin", "__pycache__", "node_modules", ".venv", "venv", ".tox")


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

    An editor's atomic save (write a temp file, rename it over the original) is
    reported as a change of the original. Paths under :data:`IGNORED_DIRS` and
    luciorbe files are ignored.
    """

    def __init__(self, root: str | os.PathLike[str], patterns: Iterable[str], callback: Callable[[set[str]], None],
                 *, debounce: float = 0.2) -> None:
        self.root = Path(root).resolve()
        self.globs = GlobSet(patterns)
        self.callback = callback
        self.debounce = debounce
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._observer: Any = None

    def start(self) -> None:
        from watchdog.observers import Observer

        self._observer = Observer()
        self._observer.schedule(_handler(self._on_event), str(self.root), recursive=True)
        self._observer.start()

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
        if any(part in IGNORED_DIRS for part in parts[:-1]) or parts[-1].startswith(".luciorbe"):
            return None
        if self.globs and not self.globs.match(rel):
            return None
        return rel

    def _on_event(self, event: Any) -> None:
        if event.is_directory:
            return
        paths = [event.src_path]
        if event.event_type == "moved":
            paths = [event.dest_path]  # atomic save: the destination is what changed
        hits = {rel for rel in map(self._relevant, map(os.fsdecode, paths)) if rel}
        if not hits:
            return
        with self._lock:
            self._pending |= hits
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.debounce, self._flush)
            self._timer.daemon = True
            self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, set()
            self._timer = None
        if batch:
            self.callback(batch)
