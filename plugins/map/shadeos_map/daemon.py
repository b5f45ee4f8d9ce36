"""The ``map`` meta-daemon: keeps the map and ``phase.json`` current while the team works.

It watches the workspace (watchdog, debounced; an editor's atomic save counts
as a modification), re-measures only the paths that changed, and rescans
everything every ``rescan`` (default 5m) to recover events the kernel dropped.
A cycle (at start, and on the team file's ``every``) is a full rescan too.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import Any, ClassVar

from shadeos_core.daemon import CycleResult, Injection, MetaDaemon
from shadeos_core.durations import parse_duration
from shadeos_core.errors import KinError

from .config import MapConfig
from .publish import publish
from .scanner import MapScanner

__all__ = ["MapDaemon"]


class MapDaemon(MetaDaemon):
    """Team file: ``[meta.map]`` with optional ``rescan = "5m"``; ``debounce`` (default 200ms) settles bursts."""

    OPTIONS: ClassVar[dict[str, type | tuple[type, ...]]] = {"rescan": (str, int, float)}
    description: ClassVar[str] = "keeps the project map and phase file current as files change"

    @classmethod
    def check_options(cls, spec: Any, kernel: Any) -> None:
        """``[map]`` in kin.toml and ``rescan`` are checked before the team starts (a bad one is a one-line error)."""
        MapConfig.from_workspace(kernel.workspace)
        if "rescan" in spec.options:
            parse_duration(spec.options["rescan"], where=f"team {spec.team!r}, [meta.{spec.name}] rescan")

    def setup(self) -> None:
        config = MapConfig.from_workspace(self.workspace)
        where = f"team {self.team.name!r}, [meta.{self.name}]"
        if "rescan" in self.options:
            config.rescan = parse_duration(self.options["rescan"], where=f"{where} rescan")
        self.config = config
        self.scanner = MapScanner.for_kernel(self.kernel, config)
        self._publish_lock = threading.Lock()
        self._stop = threading.Event()
        self.updates = 0
        self.last: Any = None
        from shadeos_core.watch import DebouncedWatcher

        self.watcher = DebouncedWatcher(self.workspace.root, [], self._on_change, debounce=self.spec.debounce)
        self.watcher.start()
        self._rescanner = threading.Thread(target=self._rescan_loop, daemon=True, name="kin-map-rescan")
        self._rescanner.start()

    # -- work ------------------------------------------------------------------------------
    def _publish(self) -> None:
        with self._publish_lock:
            self.last, _ = publish(self.scanner, emit=lambda data: self.emit("phase", **data))
            # what kin status shows follows what phase.json says, also between two cycles (the watcher's updates)
            with contextlib.suppress(OSError, KinError):
                self.luciorbes.open(self.spec.workdir, progress=self._progress())

    def _progress(self) -> str:
        return f"{self.last.total_tokens} tokens, {self.last.phase}"

    def _on_change(self, paths: set[str]) -> None:
        try:
            if self.scanner.update(paths) or self.last is None:
                self.updates += 1
                self._publish()
        except Exception:  # a bad event must not kill the watcher thread; the next rescan repairs the map
            self.log.exception("map update for %d path(s) failed", len(paths))

    def _rescan_loop(self) -> None:
        while not self._stop.wait(self.config.rescan):
            try:
                self.full_rescan()
            except Exception:
                self.log.exception("periodic map rescan failed")

    def full_rescan(self) -> bool:
        changed = self.scanner.full_scan()
        if changed or self.last is None:
            self._publish()
        return changed

    # -- daemon interface ------------------------------------------------------------------
    def cycle(self, injections: Sequence[Injection]) -> CycleResult:
        files = [p for i in injections if i.type == "files" for p in i.content]
        if files:
            if self.scanner.update(files) or self.last is None:
                self._publish()
        else:
            self.full_rescan()
        current = self.last
        # no progress here: _publish keeps it on the luciorbe, and the runner's status, written a moment after
        # the cycle, would put back a figure the watcher may have replaced meanwhile
        return CycleResult(task="project map",
                           notes=f"{len(current.files)} files, {len(current.with_level('too_long'))} too long",
                           data={"total_tokens": current.total_tokens, "phase": current.phase})

    def status(self) -> dict[str, Any]:
        data = super().status()
        if self.last is not None:
            data.update(total_tokens=self.last.total_tokens, phase=self.last.phase, files=len(self.last.files),
                        updates=self.updates)
        return data

    def teardown(self) -> None:
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop.set()
        watcher = getattr(self, "watcher", None)
        if watcher is not None:
            watcher.stop()
        scanner = getattr(self, "scanner", None)
        if scanner is not None:
            with scanner.lock:
                scanner.cache.save()
