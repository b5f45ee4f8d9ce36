"""What ``daemon_event`` carries."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DaemonEvent", "EVENT_KINDS"]

EVENT_KINDS = frozenset(
    {"started", "cycle", "message", "stopped", "crashed", "restarted", "fatal", "late", "conflict", "phase", "task", "state",
     "command", "edit", "commit", "agent_cycle", "model_call", "tool_call"}
)


@dataclass(frozen=True)
class DaemonEvent:
    """One thing that happened to a daemon or a team.

    ``kind`` is one of :data:`EVENT_KINDS` (plugins may use others),
    ``daemon_id`` is ``<team>.<daemon>`` (empty for team-wide events),
    ``data`` is JSON-serialisable detail.
    """

    kind: str
    daemon_id: str = ""
    team: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "daemon_id": self.daemon_id, "team": self.team, "time": self.time, "data": self.data}
