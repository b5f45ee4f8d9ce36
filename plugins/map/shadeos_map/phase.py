"""The project phase from its size against the budget, with hysteresis, persisted in ``.kin/state/phase.json``.

``phase.json`` is what the orchestrator reads: ``{"phase": "expansion" |
"convergence", "total_tokens", "budget", "ratio", "updated_at"}``, written
atomically. A team file binds daemons to phases with ``[phases.expansion]``
and ``[phases.convergence]``.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadeos_core.fsio import atomic_write_json
from shadeos_core.phase import phase_path as core_phase_path
from shadeos_core.phase import read_phase_record

if TYPE_CHECKING:
    from shadeos_core.workspace import Workspace

__all__ = ["EXPANSION", "CONVERGENCE", "next_phase", "phase_path", "read_phase", "publish_phase"]

EXPANSION = "expansion"
CONVERGENCE = "convergence"


def next_phase(previous: str | None, ratio: float, *, converge_at: float = 0.60, expand_below: float = 0.50) -> str:
    """Convergence from ``converge_at`` of the budget up; back to expansion only below ``expand_below``.

    Between the two the project keeps its previous phase, so a size hovering
    around one threshold does not flip the team back and forth.
    """
    if ratio >= converge_at:
        return CONVERGENCE
    if previous == CONVERGENCE and ratio >= expand_below:
        return CONVERGENCE
    return EXPANSION


def phase_path(workspace: Workspace) -> Path:
    """Where the phase is written (:func:`shadeos_core.phase.phase_path`, its directory created)."""
    workspace.state_dir("state")
    return core_phase_path(workspace)


def read_phase(workspace: Workspace) -> dict[str, Any] | None:
    """The persisted phase record, or ``None`` when absent, unreadable or not one of this plugin's phases."""
    data = read_phase_record(workspace)
    if data is None or data.get("phase") not in (EXPANSION, CONVERGENCE):
        return None
    return data


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def publish_phase(workspace: Workspace, total_tokens: int, budget: int, *, converge_at: float = 0.60,
                  expand_below: float = 0.50, emit: Callable[[dict[str, Any]], None] | None = None) -> tuple[str, bool]:
    """Work out the phase from ``total_tokens``, write ``phase.json`` and return ``(phase, changed)``.

    On a change ``emit(data)`` is called with ``{"phase", "previous", "total_tokens", "budget", "ratio"}``.
    The file is rewritten only when its content (besides ``updated_at``) changes.
    """
    record = read_phase(workspace)
    previous = record["phase"] if record else None
    ratio = total_tokens / budget if budget else 0.0
    phase = next_phase(previous, ratio, converge_at=converge_at, expand_below=expand_below)
    new = {"phase": phase, "total_tokens": int(total_tokens), "budget": int(budget), "ratio": round(ratio, 4)}
    if record is None or any(record.get(k) != v for k, v in new.items()):
        atomic_write_json(phase_path(workspace), {**new, "updated_at": utc_now()}, indent=None)
    changed = phase != previous
    if changed and emit is not None:
        emit({"phase": phase, "previous": previous, "total_tokens": int(total_tokens), "budget": int(budget),
              "ratio": round(ratio, 4)})
    return phase, changed
