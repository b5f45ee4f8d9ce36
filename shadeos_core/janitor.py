"""Janitors find stale state (dead luciorbes, records of finished processes…) and clean it."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .workspace import Workspace

__all__ = ["Janitor", "Cleanup"]


@dataclass
class Cleanup:
    """One thing a janitor found: what it is, its state, and what it did (or would do) about it."""

    path: str
    state: str
    action: str = "none"  # none | removed | quarantined | reported
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "state": self.state, "action": self.action, "detail": self.detail, **self.data}


class Janitor:
    """Subclass, implement :meth:`scan` and :meth:`clean`, register with ``register_janitors``."""

    description: ClassVar[str] = ""

    def __init__(self, workspace: Workspace, options: Mapping[str, Any] | None = None) -> None:
        self.workspace = workspace
        self.options = dict(options or {})

    def scan(self) -> Iterable[Cleanup]:
        """Report what there is to clean, changing nothing."""
        raise NotImplementedError

    def clean(self, *, dry_run: bool = False, hard: bool = False) -> list[Cleanup]:
        """Clean what :meth:`scan` finds; with ``dry_run`` change nothing and say what would be done."""
        raise NotImplementedError
