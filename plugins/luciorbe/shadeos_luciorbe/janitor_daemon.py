"""The ``janitor`` meta-daemon: each cycle, every registered janitor cleans; the slow walk runs less often.

Team file::

    [meta.janitor]
    every = "30s"                 # default when no trigger is set
    walk_every = "10m"            # full passes (the tree walk); default: kin.toml [luciorbe] walk_every
    janitors = ["luciorbes"]      # default: every installed janitor
    hard = false                  # delete instead of quarantining

Each janitor is built with the options ``{"full": <bool>}``: ``full`` is true on
the first cycle and then once per ``walk_every``; the ``luciorbes`` janitor walks
the tree only then, and checks the recorded luciorbes on every cycle.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any, ClassVar

from shadeos_core.daemon import CycleResult, Injection, MetaDaemon
from shadeos_core.janitor import Cleanup

from .config import LuciorbeSettings

__all__ = ["JanitorDaemon", "DEFAULT_EVERY"]

DEFAULT_EVERY = 30.0


class JanitorDaemon(MetaDaemon):
    """Runs every janitor in ``kernel.janitors`` (or those named by ``janitors``) once per cycle."""

    OPTIONS: ClassVar[dict[str, Any]] = {"janitors": list, "walk_every": "duration", "hard": bool}

    @classmethod
    def check_options(cls, spec: Any, kernel: Any) -> None:
        """``[luciorbe]`` in kin.toml is checked before the team starts (a bad value is a one-line error)."""
        LuciorbeSettings.from_workspace(kernel.workspace)

    description = "runs every installed janitor each cycle (luciorbes, process records…); walks the tree less often"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.spec.every is None and not self.spec.on_message and not self.spec.watch:
            self.spec.every = DEFAULT_EVERY  # a janitor is periodic by nature, not message-driven
        configured = self.options.get("walk_every")
        self.walk_every = float(configured) if configured is not None else \
            LuciorbeSettings.from_workspace(self.workspace).walk_every
        self.hard = bool(self.options.get("hard", False))
        self.last_walk: float | None = None
        self.totals: Counter[str] = Counter()

    def selected(self) -> list[tuple[str, type]]:
        """The janitors this daemon runs; an unknown name in ``janitors`` is logged once per cycle."""
        wanted = self.options.get("janitors")
        if wanted is None:
            return self.kernel.janitors.items()
        chosen = []
        for name in wanted:
            cls = self.kernel.janitors.get(name)
            if cls is None:
                self.log.warning("janitor %r is not installed (installed: %s)", name, ", ".join(self.kernel.janitors))
            else:
                chosen.append((name, cls))
        return chosen

    def cycle(self, injections: Sequence[Injection]) -> CycleResult:
        now = time.monotonic()
        full = self.last_walk is None or now - self.last_walk >= self.walk_every
        if full:
            self.last_walk = now
        report: dict[str, Any] = {}
        failed: list[str] = []
        for name, cls in self.selected():
            try:
                done: list[Cleanup] = cls(self.workspace, {"full": full}).clean(hard=self.hard)
            except Exception as exc:  # one broken janitor must not stop the others
                self.log.exception("janitor %r failed", name)
                failed.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            acted = Counter(c.action for c in done if c.action not in ("none", "reported"))
            self.totals.update(acted)
            report[name] = {"found": len(done), **acted}
            for cleanup in done:
                if cleanup.action not in ("none",):
                    self.log.info("%s: %s %s (%s: %s)", name, cleanup.action, cleanup.path, cleanup.state,
                                  cleanup.detail)
        acted_now = sum(v for r in report.values() for k, v in r.items() if k != "found")
        notes = "; ".join(failed) if failed else None
        return CycleResult(status="error" if failed else ("ok" if acted_now else "idle"),
                           task="full pass" if full else "recorded luciorbes",
                           progress=f"{acted_now} cleaned this cycle, {sum(self.totals.values())} in total",
                           notes=notes, data={"full": full, "janitors": report})

    def status(self) -> dict[str, Any]:
        return {**super().status(), "totals": dict(self.totals), "walk_every": self.walk_every}
