"""The current phase (:mod:`shadeos_core.phase`), re-read only when its file changed.
Absent or unreadable: no phase, all daemons run."""
from __future__ import annotations

import os

from shadeos_core.phase import phase_path, read_phase
from shadeos_core.workspace import Workspace

__all__ = ["PhaseReader"]


class PhaseReader:
    """Re-reads the phase file only when it changed (one ``stat`` per cycle)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.path = phase_path(workspace)
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
            self.phase = read_phase(self.workspace)
        return self.phase
