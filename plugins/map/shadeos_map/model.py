"""What a map holds: each file's token count and level, the totals and the phase."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FileEntry", "ProjectMap", "level_for", "LEVELS", "MARKERS"]

LEVELS = ("ok", "long", "too_long")
#: The marker each level gets in the map; ``error`` is a file whose count failed.
MARKERS = {"ok": "✓", "long": "⚠️", "too_long": "🔴", "error": "❓"}


def level_for(tokens: int, long: int, too_long: int) -> str:
    """``ok`` up to ``long`` tokens, ``long`` above it up to ``too_long``, ``too_long`` above that."""
    if tokens > too_long:
        return "too_long"
    if tokens > long:
        return "long"
    return "ok"


@dataclass(frozen=True)
class FileEntry:
    """One measured file. ``tokens`` is ``None`` and ``error`` set when counting failed."""

    path: str
    size: int
    tokens: int | None
    level: str
    error: str | None = None

    @property
    def marker(self) -> str:
        return MARKERS[self.level]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "tokens": self.tokens, "level": self.level, "size": self.size}
        if self.error:
            data["error"] = self.error
        return data


@dataclass
class ProjectMap:
    """The measured project: files sorted by path, totals, thresholds and phase."""

    files: list[FileEntry]
    long: int
    too_long: int
    budget: int
    phase: str
    generated_at: str
    counter: str = ""
    skipped_binary: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def counted(self) -> list[FileEntry]:
        return [f for f in self.files if f.tokens is not None]

    @property
    def failed(self) -> list[FileEntry]:
        return [f for f in self.files if f.tokens is None]

    @property
    def total_tokens(self) -> int:
        return sum(f.tokens for f in self.files if f.tokens is not None)

    @property
    def ratio(self) -> float:
        return self.total_tokens / self.budget if self.budget else 0.0

    def with_level(self, level: str) -> list[FileEntry]:
        return [f for f in self.files if f.level == level]

    def to_json(self) -> dict[str, Any]:
        """The object ``kin map --json`` prints (failed files are in ``errors``, not ``files``)."""
        return {
            "generated_at": self.generated_at,
            "total_tokens": self.total_tokens,
            "budget": self.budget,
            "ratio": round(self.ratio, 4),
            "phase": self.phase,
            "thresholds": {"long": self.long, "too_long": self.too_long},
            "counter": self.counter,
            "complete": not self.failed,
            "files": [f.to_json() for f in self.counted],
            "errors": [{"path": f.path, "error": f.error} for f in self.failed],
            "skipped_binary": self.skipped_binary,
            **self.extra,
        }
