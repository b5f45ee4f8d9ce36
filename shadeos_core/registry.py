"""Named things that plugins register (daemon types, janitors, checks…), tagged with their plugin."""
from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import KinError

__all__ = ["Registry", "Entry", "RegistrationConflict"]

T = TypeVar("T")


class RegistrationConflict(KinError):
    """A name registered twice; the message names both plugins."""


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    value: T
    plugin: str


class Registry(Generic[T]):
    """A name → value mapping where each name has exactly one owning plugin."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def add(self, name: str, value: T, plugin: str) -> None:
        if not isinstance(name, str) or not name:
            raise KinError(f"{self.kind} names must be non-empty strings, got {name!r}", where=f"plugin {plugin!r}")
        existing = self._entries.get(name)
        if existing is not None:
            raise RegistrationConflict(
                f"{self.kind} {name!r} is registered by both {existing.plugin!r} and {plugin!r}",
                hint=f"disable one of them with KIN_DISABLE_PLUGINS={plugin}",
            )
        self._entries[name] = Entry(name, value, plugin)

    def __getitem__(self, name: str) -> T:
        return self._entries[name].value

    def get(self, name: str, default: T | None = None) -> T | None:
        entry = self._entries.get(name)
        return entry.value if entry is not None else default

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return [(name, self._entries[name].value) for name in self]

    def entry(self, name: str) -> Entry[T]:
        return self._entries[name]

    def owner(self, name: str) -> str:
        return self._entries[name].plugin

    def names_of(self, plugin: str) -> list[str]:
        """The names ``plugin`` registered here, sorted."""
        return [name for name in self if self._entries[name].plugin == plugin]

    def closest(self, name: str) -> str | None:
        """The registered name closest to ``name`` (for "did you mean" hints)."""
        match = difflib.get_close_matches(name, list(self._entries), n=1, cutoff=0.5)
        return match[0] if match else None

    def require(self, name: str, *, where: str | None = None) -> T:
        """The value for ``name``, or a clear error suggesting the closest name."""
        if name in self._entries:
            return self._entries[name].value
        close = self.closest(name)
        known = ", ".join(self) or "none installed"
        hint = f"did you mean {close!r}?" if close else f"known: {known}"
        raise KinError(f"unknown {self.kind} {name!r}", where=where, hint=hint)

    def merge(self, staged: Registry[T]) -> None:
        """Add every entry of ``staged`` (all or nothing)."""
        for name in staged:
            if name in self._entries:
                entry = staged.entry(name)
                self.add(name, entry.value, entry.plugin)  # raises with both plugin names
        self._entries.update(staged._entries)
