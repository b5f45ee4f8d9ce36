"""The hook the actions plugin declares for other plugins (project ``shadeos``): the team's report.

A plugin (the web dashboard) calls it as ``kernel.hooks.call("actions_report", workspace=…, since=…)``
with keyword arguments; ``kernel.hooks.has("actions_report")`` is false when the actions plugin is not
installed. It is ``firstresult``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shadeos_core.hookspecs import hookspec

if TYPE_CHECKING:
    from shadeos_core.workspace import Workspace

__all__ = ["actions_report"]


@hookspec(firstresult=True)
def actions_report(workspace: Workspace, since: float | None) -> dict[str, Any] | None:
    """The analysis of ``workspace``'s recorded actions since ``since`` (epoch seconds; ``None``: the
    default window of ``[actions] window``), as ``{"performance": [{"daemon", "kind", "count", "p50",
    "p95", "input_tokens", "output_tokens", "failure_rate", "share"}…], "graph": {"nodes": [names],
    "edges": [{"source", "target", "kind", "count", "first", "last"}…], "mermaid": str, "dot": str},
    "insights": [{"rule", "title", "evidence": [str…], "change": str}…]}``."""
