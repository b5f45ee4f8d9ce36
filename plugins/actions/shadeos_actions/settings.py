"""What ``[actions]`` in ``kin.toml`` may set, with the defaults used when it is absent.

```toml
[actions]
retention = "30d"        # records older than this are deleted
window = "24h"           # what `kin actions stats`, `graph`, `insights` and the report look at by default
review = true            # a written review by the configured model, when there is one
min_cycles = 5           # cycles a daemon needs before the idle and drift rules judge it
repeat = 3               # the same failure this many times is a pattern
ping_pong = 3            # hand-overs of one file between two daemons that make a ping-pong
```
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shadeos_core.durations import check_count, parse_duration
from shadeos_core.errors import ConfigError

__all__ = ["ActionsSettings"]

_KEYS = ("retention", "window", "review", "min_cycles", "repeat", "ping_pong")


@dataclass(frozen=True)
class ActionsSettings:
    retention: float = 30 * 86400.0
    window: float = 86400.0
    review: bool = True
    min_cycles: int = 5
    repeat: int = 3
    ping_pong: int = 3

    @classmethod
    def from_workspace(cls, workspace: Any) -> ActionsSettings:
        """The settings a ``[actions]`` table holds, its keys checked already (``Workspace.section``): its values here."""
        """Settings from the workspace's ``kin.toml``; a bad value is a one-line :class:`ConfigError`."""
        return cls.from_table(workspace.section("actions", _KEYS), where=str(workspace.config_path))

    @classmethod
    def from_table(cls, table: dict[str, Any], *, where: str = "kin.toml") -> ActionsSettings:
        values: dict[str, Any] = {}
        for key in ("retention", "window"):
            if key in table:
                values[key] = parse_duration(table[key], where=f"{where}: actions.{key}", positive=True)
        if "retention" in values and values["retention"] < 86400:
            raise ConfigError(f"actions.retention must be a day or more, got {table['retention']!r}", where=where,
                              hint='records are kept per day: e.g. retention = "7d"')
        if "review" in table:
            if not isinstance(table["review"], bool):
                raise ConfigError(f"actions.review must be true or false, got {table['review']!r}", where=where)
            values["review"] = table["review"]
        for key in ("min_cycles", "repeat", "ping_pong"):
            if key in table:
                values[key] = check_count(table[key], minimum=2, maximum=10**6, where=f"{where}: actions.{key}",
                                          what=f"actions.{key}")
        return cls(**values)
