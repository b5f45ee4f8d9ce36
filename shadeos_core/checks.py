"""``kin check``: what a check receives and what it reports."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = ["Finding", "CheckContext", "LEVELS"]

LEVELS = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One result of a check. ``level`` is ``error`` (fails ``kin check``), ``warning`` or ``info``."""

    level: str
    message: str
    path: str = ""
    line: int | None = None
    check: str = ""
    hint: str = ""

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"finding level must be one of {', '.join(LEVELS)}, not {self.level!r}")

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "check": self.check, "path": self.path, "line": self.line,
                "message": self.message, "hint": self.hint}

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path and self.line else self.path
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text


@dataclass
class CheckContext:
    """What a check gets: the kernel, the files to check (empty = the whole workspace) and ``strict``."""

    kernel: Kernel
    files: list[Path] = field(default_factory=list)
    strict: bool = False

    @property
    def workspace(self) -> Any:
        return self.kernel.workspace
