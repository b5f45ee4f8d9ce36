"""Enrichment results cached per (daemon, type, query), valid while neither the entry nor the archive changes."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

__all__ = ["EnrichmentCache"]


@dataclass
class _Result:
    entry_version: tuple[Any, ...] | None
    revision: str
    value: dict[str, Any]


class EnrichmentCache:
    """A bounded, in-process LRU of enrichment results, keyed by (daemon, type, query)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._results: OrderedDict[tuple[str, str, str], _Result] = OrderedDict()

    def get(self, key: tuple[str, str, str], entry_version: tuple[Any, ...] | None, revision: str) -> dict[str, Any] | None:
        """The cached result, or ``None`` when absent or when the entry or the archive changed since."""
        found = self._results.get(key)
        if found is None:
            return None
        if found.entry_version != entry_version or found.revision != revision:
            del self._results[key]
            return None
        self._results.move_to_end(key)
        return found.value

    def put(self, key: tuple[str, str, str], entry_version: tuple[Any, ...] | None, revision: str,
            value: dict[str, Any]) -> None:
        self._results[key] = _Result(entry_version, revision, value)
        self._results.move_to_end(key)
        while len(self._results) > self.size:
            self._results.popitem(last=False)

    def clear(self) -> None:
        self._results.clear()
