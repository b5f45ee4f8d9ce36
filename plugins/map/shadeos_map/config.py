"""The ``[map]`` section of ``kin.toml``, validated into :class:`MapConfig`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadeos_core.durations import parse_duration
from shadeos_core.errors import ConfigError
from shadeos_core.globs import GlobSet

if TYPE_CHECKING:
    from shadeos_core.workspace import Workspace

__all__ = ["MapConfig", "DEFAULT_CHECK", "KEYS"]

#: Documents ``kin check`` measures unless ``[map] check`` says otherwise.
DEFAULT_CHECK = ("*.md", "*.markdown", "*.txt", "*.rst", "*.adoc", "*.org", "*.tex")
KEYS = ("include", "exclude", "output", "long", "too_long", "budget", "check", "converge_at", "expand_below",
        "rescan")


@dataclass
class MapConfig:
    """What the map measures and where it writes. Thresholds are in tokens."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    output: str = ".kin/map.md"
    long: int = 6000
    too_long: int = 12000
    budget: int = 128000
    check: list[str] = field(default_factory=lambda: list(DEFAULT_CHECK))
    converge_at: float = 0.60
    expand_below: float = 0.50
    rescan: float = 300.0

    @property
    def include_globs(self) -> GlobSet:
        return GlobSet(self.include)

    @property
    def exclude_globs(self) -> GlobSet:
        return GlobSet(self.exclude)

    @property
    def check_globs(self) -> GlobSet:
        return GlobSet(self.check)

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> MapConfig:
        """The settings a ``[map]`` table holds, its keys checked already (``Workspace.section``): its values here."""
        """Read ``[map]`` from the workspace's ``kin.toml``; a bad value is a one-line :class:`ConfigError`."""
        return cls.from_mapping(workspace.section("map", KEYS), where=str(workspace.config_path), workspace=workspace)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], *, where: str = "kin.toml", workspace: Workspace | None = None) -> MapConfig:
        config = cls()
        for key, value in raw.items():
            if key in ("include", "exclude", "check"):
                if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                    raise ConfigError(f"[map] {key}: expected a list of glob strings, got {value!r}", where=where,
                                      hint=f'e.g. {key} = ["docs/**", "*.md"]')
                setattr(config, key, list(value))
            elif key == "output":
                if not isinstance(value, str) or not value.strip():
                    raise ConfigError(f"[map] output: expected a file path, got {value!r}", where=where,
                                      hint='e.g. output = "map (readonly).md"')
                if workspace is not None:
                    workspace.inside(value, what="[map] output")
                config.output = value
            elif key in ("long", "too_long", "budget"):
                if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                    raise ConfigError(f"[map] {key}: expected a positive number of tokens, got {value!r}", where=where)
                setattr(config, key, value)
            elif key in ("converge_at", "expand_below"):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 10:
                    raise ConfigError(f"[map] {key}: expected a fraction of the budget such as 0.6, got {value!r}",
                                      where=where)
                setattr(config, key, float(value))
            else:
                setattr(config, key, parse_duration(value, where=f"{where}: [map] {key}"))
        if config.long >= config.too_long:
            raise ConfigError(f"[map] long ({config.long}) must be below too_long ({config.too_long})", where=where)
        if config.expand_below > config.converge_at:
            raise ConfigError(f"[map] expand_below ({config.expand_below}) must not exceed converge_at "
                              f"({config.converge_at})", where=where, hint="the gap between them is the hysteresis")
        return config

    def output_path(self, root: Path) -> Path:
        return (root / self.output).resolve()
