"""The ``[orchestrator]`` table of ``kin.toml``, and the pace at which a team's daemons start.

```toml
[orchestrator]
max_daemons = 1000   # a team with more daemons is refused (each is a process)
start_rate = 20      # daemons started per second at most (a large team starts in waves, never all at once)
```
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shadeos_core.durations import check_count

if TYPE_CHECKING:
    from shadeos_core.workspace import Workspace

__all__ = ["OrchestratorSettings", "StartPace"]

_LIMITS = {"max_daemons": (1, 100_000), "start_rate": (1, 10_000)}


@dataclass(frozen=True)
class OrchestratorSettings:
    max_daemons: int = 1000
    start_rate: int = 20

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> OrchestratorSettings:
        raw = workspace.section("orchestrator", _LIMITS)
        values = {}
        for key, value in raw.items():
            where = f"{workspace.config_path} [orchestrator] {key}"
            low, high = _LIMITS[key]
            values[key] = check_count(value, minimum=low, maximum=high, where=where)
        return cls(**values)


class StartPace:
    """A token bucket: at most ``rate`` starts a second, ``rate`` at once after a quiet second."""

    def __init__(self, rate: int) -> None:
        self.rate = float(rate)
        self.tokens = float(rate)
        self.last: float | None = None

    def take(self, now: float) -> bool:
        if self.last is not None:
            self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
