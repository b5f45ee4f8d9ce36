"""The action registry of one workspace: where it lives, its settings, and the report built on it.

This is the Python API the command line, the meta-daemon and the
``actions_report`` hook share::

    registry = ActionRegistry(kernel.workspace, hooks=kernel.hooks)
    for record in registry.store.read(Query(daemon="production", kind="edit")):
        ...
    report = registry.report(since=time.time() - 3600)
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadeos_core.errors import UsageError
from shadeos_core.fsio import atomic_write_json, read_json

from .settings import ActionsSettings
from .store import ActionStore

if TYPE_CHECKING:
    from shadeos_core.hooks import Hooks
    from shadeos_core.workspace import Workspace

    from .analysis import Analysis

__all__ = ["ActionRegistry", "actions_dir"]


def actions_dir(workspace: Workspace) -> Path:
    return workspace.kin_dir / "actions"


class ActionRegistry:
    def __init__(self, workspace: Workspace, *, hooks: Hooks | None = None) -> None:
        self.workspace = workspace
        self.hooks = hooks
        self.directory = actions_dir(workspace)
        self.store = ActionStore(self.directory)
        self.settings = ActionsSettings.from_workspace(workspace)

    def require_workspace(self) -> None:
        """Refuse (one line, exit 2) to write state outside a kin workspace."""
        if not self.workspace.marked:
            raise UsageError(f"{self.workspace.root} is not a kin workspace (no kin.toml, teams/, .kin/ or .git here "
                             "or in a parent directory), so kin keeps no state here",
                             hint="run kin init here to make it one, or cd into your project")

    def since(self, since: float | None) -> float:
        """``since``, or the start of the default window."""
        return time.time() - self.settings.window if since is None else since

    def analyse(self, since: float | None = None, until: float | None = None) -> Analysis:
        from .analysis import analyse

        return analyse(self.store, since=self.since(since), until=until, settings=self.settings)

    def report(self, since: float | None = None, until: float | None = None) -> dict[str, Any]:
        """Performance, graph, patterns and insights of the window (the ``actions_report`` hook's answer,
        plus ``records``, ``first``, ``last``, ``patterns``, and the last written ``review`` if any)."""
        report = self.analyse(since, until).report()
        review = self.last_review()
        if review is not None:
            report["review"] = review
        return report

    @property
    def review_path(self) -> Path:
        return self.directory / "review.json"

    def last_review(self) -> dict[str, Any] | None:
        try:
            value = read_json(self.review_path)
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def review(self, report: dict[str, Any]) -> dict[str, Any] | None:
        """Ask the configured model for a written review of ``report``; kept in ``review.json``."""
        from .review import write_review

        if self.hooks is None:
            return None
        answer = write_review(self.hooks, self.workspace, report)
        if answer is None:
            return None
        self.require_workspace()
        kept = {**answer, "time": time.time(), "insights": [i["rule"] + ":" + ",".join(i["daemons"])
                                                            for i in report["insights"]]}
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.review_path, kept)
        return kept
