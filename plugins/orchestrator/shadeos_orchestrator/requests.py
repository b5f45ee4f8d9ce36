"""The supervisor's side of control requests (see :mod:`shadeos_core.control`): one ``stat`` per cycle tells
whether anything waits; only then is the directory read."""
from __future__ import annotations

import os
import time

from shadeos_core.control import ControlRequest, control_dir, take_requests
from shadeos_core.workspace import Workspace

__all__ = ["RequestDesk"]

#: A directory changed this recently (ns) may change again within the same timestamp tick unseen.
_SETTLE_NS = 100_000_000


class RequestDesk:
    """Requests to the supervisor of ``team``: :meth:`take` returns what arrived since the last call."""

    def __init__(self, workspace: Workspace, team: str) -> None:
        self.workspace, self.team = workspace, team
        self.directory = str(control_dir(workspace, team))
        self._seen: tuple[int, int] | None = None
        self._settled = False

    def take(self) -> tuple[list[ControlRequest], list[str]]:
        """The requests waiting (removed from disk), and a line per file that was not a request."""
        try:
            st = os.stat(self.directory)
        except OSError:
            self._seen = None
            return [], []
        key = (st.st_mtime_ns, st.st_ino)
        if key == self._seen and self._settled:
            return [], []
        self._seen = key
        # a request written within the file system's timestamp tick of this look could leave the same mtime:
        # trust an unchanged mtime only once it is clearly older than the moment it was read
        self._settled = time.time_ns() - st.st_mtime_ns > _SETTLE_NS
        return take_requests(self.workspace, self.team)
