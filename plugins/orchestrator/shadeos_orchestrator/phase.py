"""The current phase: ``.kin/state/phase.json`` (``{"phase": "expansion" | "convergence", …}``),
written by whoever decides phases (the map plugin). Absent or unreadable: no phase, all daemons run."""
from __future__ import annotations

import os

from shadeos_core.fsio import read_json
from shadeos_core.workspace import Workspace

__all__ = ["PhaseReader"]


class PhaseReader:
    """Re-reads the phase file only when it changed (one ``stat`` per cycle)."""

    def __init__(self, workspace: Workspace) -> None:
        self.path = workspace.kin_dir / "state" / "phase.json"
        self._key: tuple[int, int] | None = None
        self.phase: str | None = None

    def read(self) -> str | None:
        try:
            st = os.stat(self.path)
        except OSError:
            self._key, self.phase = None, None
            return None
        key = (st.st_mtime_ns, st.st_size)
        if key != self._key:
            self._key = key
            try:
                data = read_json(self.path)
            except (OSError, ValueError):
                data = None
            value = data.get("phase") if isinstance(data, dict) else None
            self.phase = value if isinstance(value, str) and value else None
        return self.phase
