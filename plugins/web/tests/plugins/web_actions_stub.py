"""A test plugin standing in for the actions plugin: ``actions_report`` with a fixed report."""
from __future__ import annotations

from typing import Any

import pluggy

from shadeos_core.hookspecs import hookimpl

spec = pluggy.HookspecMarker("shadeos")


class Specs:
    @spec
    def actions_report(self, workspace: Any, since: float | None) -> dict[str, Any] | None:
        """The actions report."""


@hookimpl
def add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    caller = getattr(pluginmanager.hook, "actions_report", None)
    if caller is None or caller.spec is None:
        pluginmanager.add_hookspecs(Specs)


@hookimpl
def actions_report(workspace: Any, since: float | None) -> dict[str, Any] | None:
    return {"performance": [{"daemon": "coding.production", "kind": "model_call", "count": 12, "p50": 1.5,
                             "p95": 4.0, "input_tokens": 12000, "output_tokens": 3000, "failure_rate": 0.25,
                             "share": 0.6}],
            "graph": {"nodes": ["coding.production", "coding.testeur"],
                      "edges": [{"source": "coding.production", "target": "coding.testeur", "kind": "message",
                                 "count": 3, "first": "2026-11-20T10:00:00Z", "last": "2026-11-20T11:00:00Z"}],
                      "mermaid": "graph LR", "dot": "digraph {}"},
            "insights": [{"rule": "slow-model", "title": "production waits on its model",
                          "evidence": ["p95 of model_call is 4.0s over 12 calls"], "change": 'model = "faster"'}]}
