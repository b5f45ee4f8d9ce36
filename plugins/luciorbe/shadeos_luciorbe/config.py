"""The ``[luciorbe]`` table of ``kin.toml``: staleness thresholds, quarantine delay, walk frequency.

Example::

    [luciorbe]
    stale_after = "30s"            # any luciorbe silent this long is stale (default: 3 x its heartbeat_s)
    quarantine_expiry = "7d"       # quarantined luciorbes are deleted after this delay
    walk_every = "10m"             # how often the janitor meta-daemon walks the whole tree
    skip = ["node_modules"]        # directory names the walk never enters (besides .git)

    [luciorbe.stale_after_by_type] # per daemon_type, wins over stale_after
    agent = "5m"
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shadeos_core.durations import parse_duration
from shadeos_core.errors import ConfigError
from shadeos_core.workspace import Workspace

__all__ = ["LuciorbeSettings", "KEYS", "DEFAULT_QUARANTINE_EXPIRY", "DEFAULT_WALK_EVERY"]

DEFAULT_QUARANTINE_EXPIRY = 7 * 86400.0
DEFAULT_WALK_EVERY = 600.0
#: Directory names the walk never enters, whatever the configuration says.
ALWAYS_SKIPPED = (".git",)
KEYS = ("stale_after", "stale_after_by_type", "quarantine_expiry", "walk_every", "skip")


@dataclass(frozen=True)
class LuciorbeSettings:
    """What the janitor needs to know from ``kin.toml``; build it with :meth:`from_workspace`."""

    stale_after: float | None = None
    stale_after_by_type: Mapping[str, float] = field(default_factory=dict)
    quarantine_expiry: float = DEFAULT_QUARANTINE_EXPIRY
    walk_every: float = DEFAULT_WALK_EVERY
    skip: frozenset[str] = frozenset(ALWAYS_SKIPPED)

    def threshold(self, daemon_type: str, heartbeat_s: float) -> float:
        """Seconds of silence after which a luciorbe of ``daemon_type`` is stale.

        Per-type setting, else the global ``stale_after``, else 3 x the luciorbe's own ``heartbeat_s``.
        """
        by_type = self.stale_after_by_type.get(daemon_type)
        if by_type is not None:
            return by_type
        if self.stale_after is not None:
            return self.stale_after
        return 3.0 * float(heartbeat_s)

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> LuciorbeSettings:
        """The settings a ``[luciorbe]`` table holds, its keys checked already (``Workspace.section``): its values here."""
        """Read ``[luciorbe]``; a wrong key or value is a :class:`ConfigError` naming ``kin.toml`` and the key."""
        return cls.from_table(workspace.section("luciorbe", KEYS), where=str(workspace.config_path))

    @classmethod
    def from_table(cls, table: Mapping[str, Any], *, where: str = "kin.toml") -> LuciorbeSettings:

        def duration(key: str, raw: Any) -> float:
            return parse_duration(raw, where=f"{where}: luciorbe.{key}")

        by_type_raw = table.get("stale_after_by_type", {})
        if not isinstance(by_type_raw, Mapping):
            raise ConfigError("luciorbe.stale_after_by_type must be a table", where=where,
                              hint='write [luciorbe.stale_after_by_type] then lines like agent = "5m"')
        skip_raw = table.get("skip", [])
        if not isinstance(skip_raw, list) or not all(isinstance(s, str) and s and "/" not in s for s in skip_raw):
            raise ConfigError(f"luciorbe.skip must be a list of directory names, got {skip_raw!r}", where=where,
                              hint='e.g. skip = ["node_modules", ".venv"]')
        return cls(
            stale_after=duration("stale_after", table["stale_after"]) if "stale_after" in table else None,
            stale_after_by_type={str(k): duration(f"stale_after_by_type.{k}", v) for k, v in by_type_raw.items()},
            quarantine_expiry=duration("quarantine_expiry", table.get("quarantine_expiry", DEFAULT_QUARANTINE_EXPIRY)),
            walk_every=duration("walk_every", table.get("walk_every", DEFAULT_WALK_EVERY)),
            skip=frozenset(ALWAYS_SKIPPED) | frozenset(skip_raw),
        )
