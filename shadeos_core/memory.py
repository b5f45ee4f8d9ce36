"""The interface of memory backends (``register_memory_backends``): a search index over memory records."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """An index of memory records (dicts with ``id``, ``namespace``, ``stratum``, ``content``…).

    The archivist's journal is the truth; a backend is derived from it and can
    be rebuilt. A factory ``factory(path, options) -> MemoryBackend`` is what
    plugins register.
    """

    def __init__(self, path: Path, options: Mapping[str, Any] | None = None) -> None:
        self.path = path
        self.options = dict(options or {})

    def add(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Index ``records`` (replacing any with the same id)."""
        raise NotImplementedError

    def delete(self, ids: Iterable[str]) -> None:
        raise NotImplementedError

    def search(self, query: str, *, strata: Sequence[str] | None = None, namespace: str | None = None,
               limit: int = 10) -> list[tuple[str, float]]:
        """``(id, score)`` pairs, best first."""
        raise NotImplementedError

    def clear(self) -> None:
        """Drop everything (before a rebuild)."""
        raise NotImplementedError

    def optimize(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        """Release files and locks."""
