"""The ``[archivist]`` table of ``kin.toml``, validated."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shadeos_core.durations import parse_duration
from shadeos_core.errors import ConfigError
from shadeos_core.workspace import Workspace, check_name

from .model import DEFAULT_STRATA

__all__ = ["Settings", "DURABILITY"]

#: ``fsync``: each store is on disk when it returns. ``batch``: stores reach the OS at once (a crashed
#: process loses nothing) and the disk at the next sync (the meta-daemon's cycle, or close).
DURABILITY = ("fsync", "batch")
_KEYS = ("backend", "durability", "strata", "default_stratum", "lock_timeout", "consolidate", "consolidate_every",
         "consolidation_tokens_per_day", "distil_after")


@dataclass(frozen=True)
class Settings:
    backend: str = "whoosh"
    durability: str = "fsync"
    strata: tuple[str, ...] = DEFAULT_STRATA
    default_stratum: str = "somatic"
    lock_timeout: float = 10.0
    #: With a model configured ([agents] model): summaries and keywords filled in, somatic memories distilled.
    consolidate: bool = True
    consolidate_every: float = 600.0
    consolidation_tokens_per_day: int = 200_000
    distil_after: int = 5

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> Settings:
        """Read and check ``[archivist]``; a wrong key or value is a :class:`ConfigError` naming it."""
        raw = workspace.section("archivist", _KEYS)
        where = f"{workspace.config_path} [archivist]"
        backend = _text(raw, "backend", cls.backend, where)
        try:
            check_name(backend, what="backend name")
        except Exception:
            raise ConfigError(f"invalid backend name {backend!r}", where=where, hint='use e.g. "whoosh" or "sqlite"') from None
        durability = _text(raw, "durability", cls.durability, where)
        if durability not in DURABILITY:
            raise ConfigError(f"durability must be one of {', '.join(DURABILITY)}, not {durability!r}", where=where)
        strata: Any = raw.get("strata", list(DEFAULT_STRATA))
        if not isinstance(strata, list) or not strata or not all(isinstance(s, str) and s.strip() for s in strata):
            raise ConfigError("strata must be a non-empty list of names", where=where,
                              hint='e.g. strata = ["somatic", "cognitive", "metaphysical"]')
        default_stratum = _text(raw, "default_stratum", strata[0] if "somatic" not in strata else "somatic", where)
        if default_stratum not in strata:
            raise ConfigError(f"default_stratum {default_stratum!r} is not one of strata", where=where)
        lock_timeout = parse_duration(raw.get("lock_timeout", cls.lock_timeout), where=f"{where} lock_timeout")
        consolidate = raw.get("consolidate", cls.consolidate)
        if not isinstance(consolidate, bool):
            raise ConfigError(f"consolidate must be true or false, got {consolidate!r}", where=where)
        every = parse_duration(raw.get("consolidate_every", cls.consolidate_every), where=f"{where} consolidate_every")
        if every <= 0:
            raise ConfigError("consolidate_every must be more than 0", where=where,
                              hint='e.g. consolidate_every = "10m"')
        counts = {}
        for key in ("consolidation_tokens_per_day", "distil_after"):
            value = raw.get(key, getattr(cls, key))
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{key} must be a whole number of at least 1, got {value!r}", where=where)
            counts[key] = value
        return cls(backend, durability, tuple(strata), default_stratum, lock_timeout, consolidate, every, **counts)


def _text(raw: dict[str, Any], key: str, default: str, where: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string, got {value!r}", where=where)
    return value
