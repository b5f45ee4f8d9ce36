"""The project's current phase: ``.kin/state/phase.json``.

Written atomically by whoever decides phases (the map plugin):
``{"phase": "expansion" | "convergence", "total_tokens", "budget", "ratio",
"updated_at"}``. Read by the orchestrator (which daemons run), by agents (what
they are told) and by its writer. Absent, unreadable or without a non-empty
``phase`` string: no phase, and every daemon runs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .fsio import read_json
from .workspace import Workspace

__all__ = ["phase_path", "read_phase_record", "phase_of", "read_phase"]


def phase_path(workspace: Workspace) -> Path:
    """Where the phase is kept (nothing is created: readers must not create state)."""
    return workspace.kin_dir / "state" / "phase.json"


def read_phase_record(workspace: Workspace) -> dict[str, Any] | None:
    """The phase file's object, or ``None`` when it is absent, unreadable or not a JSON object."""
    try:
        data = read_json(phase_path(workspace))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def phase_of(record: dict[str, Any] | None) -> str | None:
    """The phase a record names (a non-empty string), else ``None``."""
    value = record.get("phase") if record is not None else None
    return value if isinstance(value, str) and value else None


def read_phase(workspace: Workspace) -> str | None:
    """The current phase, or ``None``."""
    return phase_of(read_phase_record(workspace))
