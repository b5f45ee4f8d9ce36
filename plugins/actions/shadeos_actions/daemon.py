"""The ``actions`` meta-daemon: keeps the analysis current.

Each cycle it compacts the registry (past days into one file, days past
``[actions] retention`` deleted), analyses the default window, writes the
report to ``.kin/actions/report.json``, stores what it learned into memory
(when the archivist is installed) and, when the insights changed and a model
is configured (``[actions] review``), asks it for a written review.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from shadeos_core.daemon import CycleResult, Injection, MetaDaemon
from shadeos_core.errors import KinError
from shadeos_core.fsio import atomic_write_json

__all__ = ["ActionsDaemon"]


class ActionsDaemon(MetaDaemon):
    """Run it with ``[meta.actions]`` and e.g. ``every = "5m"`` in a team file."""

    OPTIONS: ClassVar[Mapping[str, type | tuple[type, ...]] | None] = {}
    description: ClassVar[str] = "keeps the action analysis current: compaction, report, memories, review"

    @classmethod
    def check_options(cls, spec: Any, kernel: Any) -> None:
        """``[actions]`` in kin.toml is checked before the team starts (a bad value is a one-line error)."""
        from .settings import ActionsSettings

        ActionsSettings.from_workspace(kernel.workspace)

    def setup(self) -> None:
        from .registry import ActionRegistry

        self.registry = ActionRegistry(self.workspace, hooks=self.kernel.hooks)
        self.last: dict[str, Any] = {}

    def cycle(self, injections: Sequence[Injection]) -> CycleResult | None:
        from .retention import compact
        from .strata import Strata

        registry = self.registry
        done = compact(registry.store, retention=registry.settings.retention)
        report = registry.report()
        registry.directory.mkdir(parents=True, exist_ok=True)
        atomic_write_json(registry.directory / "report.json", report, indent=None)
        stored = Strata(self.kernel.hooks, self.workspace, registry.directory).sync(registry.store, report["patterns"])
        reviewed = self._review(report)
        self.last = {"records": report["records"], "insights": len(report["insights"]),
                     "patterns": len(report["patterns"]), "memories": len(stored.stored),
                     "compacted": done.compacted, "deleted": done.deleted, "reviewed": reviewed}
        notes = (f"{report['records']} actions, {len(report['patterns'])} patterns, "
                 f"{len(report['insights'])} insights, {len(stored.stored)} memories stored")
        return CycleResult(status="ok" if stored.stored or reviewed or done.compacted else "idle",
                           task="action analysis", notes=notes, data=self.last)

    def _review(self, report: dict[str, Any]) -> bool:
        registry = self.registry
        if not registry.settings.review or not report["insights"]:
            return False
        wanted = [i["rule"] + ":" + ",".join(i["daemons"]) for i in report["insights"]]
        last = registry.last_review()
        if last is not None and last.get("insights") == wanted:
            return False
        try:
            return registry.review(report) is not None
        except KinError as exc:
            self.log.warning("actions review: %s", exc)
            return False

    def status(self) -> dict[str, Any]:
        return {**super().status(), **self.last}
