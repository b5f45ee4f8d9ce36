"""The interface of memory backends (``register_memory_backends``): a search index over memory records."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """An index of memory records (dicts with ``id``, ``namespace``, ``stratum``, ``content``,
    ``summary``, ``keywords``…).

    The archivist's journal is the truth; a backend is derived from it and can
    be rebuilt. A factory ``factory(path, options) -> MemoryBackend`` is what
    plugins register: ``path`` is a directory the backend owns (created by the
    caller), ``options`` the ``[archivist]`` table of ``kin.toml``.

    One process writes at a time (the caller holds a lock around
    :meth:`update`, :meth:`clear` and :meth:`optimize`); readers may search
    while it writes and must never be blocked by it.
    """

    def __init__(self, path: Path, options: Mapping[str, Any] | None = None) -> None:
        self.path = path
        self.options = dict(options or {})

    def update(self, added: Sequence[Mapping[str, Any]], deleted: Iterable[str] = (),
               checkpoint: Mapping[str, Any] | None = None) -> None:
        """In one atomic commit: index ``added`` (new ids), drop ``deleted`` ids and store ``checkpoint``.

        ``checkpoint`` (JSON-serialisable) says how far in the journal the index
        is; it must become visible together with the records, never before.
        """
        raise NotImplementedError

    def checkpoint(self) -> dict[str, Any] | None:
        """The ``checkpoint`` of the last :meth:`update` (``None`` for an empty or new index)."""
        raise NotImplementedError

    def add(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Index ``records`` (whose ids are not indexed yet)."""
        self.update(records, (), self.checkpoint())

    def delete(self, ids: Iterable[str]) -> None:
        """Drop the records with these ids (unknown ids are ignored)."""
        self.update((), ids, self.checkpoint())

    def search(self, terms: Sequence[str], *, strata: Sequence[str] | None = None, namespace: str | None = None,
               limit: int = 10) -> list[tuple[str, float]]:
        """``(id, score)`` pairs, best first, of records holding every one of ``terms`` (lower-case words)
        in their content, summary or keywords; filtered by ``strata`` (any of) and ``namespace`` (exact)."""
        raise NotImplementedError

    def count(self) -> int:
        """How many records are indexed."""
        raise NotImplementedError

    def clear(self) -> None:
        """Drop everything, checkpoint included (before a rebuild)."""
        raise NotImplementedError

    def optimize(self) -> dict[str, Any]:
        """Compact the index (merge segments, vacuum…); returns what it did."""
        return {}

    def close(self) -> None:
        """Release files and locks."""
