"""What ``[context]`` in ``kin.toml`` may set, with the defaults used when it is absent."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shadeos_core.durations import parse_duration
from shadeos_core.errors import ConfigError, KinError
from shadeos_core.workspace import Workspace, check_name

__all__ = ["ContextSettings", "DEFAULT_TTLS", "CONTEXT_TYPES", "TRIGGERS"]

#: Default time to live per context type (seconds). Patterns change slowly; what a daemon
#: just did or is doing matters for minutes to hours.
DEFAULT_TTLS: dict[str, float] = {
    "daemon_patterns": 24 * 3600.0,
    "recent_interactions": 15 * 60.0,
    "performance_metrics": 3600.0,
    "temporal_patterns": 6 * 3600.0,
    "task_states": 2 * 3600.0,
    "collaboration_context": 3600.0,
}
CONTEXT_TYPES = tuple(DEFAULT_TTLS)
#: The four persistence triggers.
TRIGGERS = ("periodic", "task_completion", "size_threshold", "explicit")

_KEYS = {"default_ttl", "ttl", "max_entry_bytes", "persist_every", "size_threshold", "enrich_limit"}


@dataclass
class ContextSettings:
    """Limits and TTLs of the mid-term context; :meth:`from_workspace` reads ``[context]``."""

    default_ttl: float = 3600.0
    ttls: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TTLS))
    max_entry_bytes: int = 256 * 1024
    persist_every: float = 3600.0
    size_threshold: int = 1000
    enrich_limit: int = 5

    def ttl_for(self, context_type: str) -> float:
        """The default time to live of ``context_type`` in seconds."""
        return self.ttls.get(context_type, self.default_ttl)

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> ContextSettings:
        """The settings a ``[context]`` table holds, its keys checked already (``Workspace.section``): its values here."""
        """Settings from the workspace's ``kin.toml``; a bad value is a :class:`ConfigError` naming the key."""
        return cls.from_table(workspace.section("context", sorted(_KEYS)), where=str(workspace.config_path))

    @classmethod
    def from_table(cls, table: dict[str, Any], *, where: str = "kin.toml") -> ContextSettings:
        settings = cls()

        def duration(key: str, value: Any) -> float:
            seconds = parse_duration(value, where=f"{where}: context.{key}")
            if seconds <= 0:
                raise ConfigError(f"context.{key} must be positive, got {value!r}", where=where)
            return seconds

        def count(key: str, value: Any) -> int:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"context.{key} must be a positive integer, got {value!r}", where=where)
            return value

        if "default_ttl" in table:
            settings.default_ttl = duration("default_ttl", table["default_ttl"])
        if "persist_every" in table:
            settings.persist_every = duration("persist_every", table["persist_every"])
        for key in ("max_entry_bytes", "size_threshold", "enrich_limit"):
            if key in table:
                setattr(settings, key, count(key, table[key]))
        ttls = table.get("ttl", {})
        if not isinstance(ttls, dict):
            raise ConfigError("context.ttl must be a table of context type = duration", where=where,
                              hint='write [context.ttl] then task_states = "30m"')
        for context_type, value in ttls.items():
            try:
                check_name(context_type, what="context type")
            except KinError as exc:
                raise ConfigError(f"context.ttl: {exc.message}", where=where, hint=exc.hint) from None
            settings.ttls[context_type] = duration(f"ttl.{context_type}", value)
        return settings
