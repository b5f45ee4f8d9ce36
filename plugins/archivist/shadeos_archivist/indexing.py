"""Keeping a memory backend in step with the journal, and searching it together with what it lacks yet.

One process at a time writes the index (the writer's lock); a search never
waits for it: it asks the index, then scans the memories stored after the
index's checkpoint (a short tail) word by word, so a memory is findable the
moment its store returns.
"""
from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from shadeos_core.memory import MemoryBackend

from .locks import held_by_other, writer_lock
from .model import words
from .view import ArchiveView

__all__ = ["Indexer", "Progress"]

#: ``progress(done, total)`` during a rebuild.
Progress = Callable[[int, int], None]


class Indexer:
    """The derived index of one archive: ``backend`` built by ``factory(path, options)``."""

    def __init__(self, view: ArchiveView, factory: Callable[[Path, dict[str, Any]], MemoryBackend], path: Path,
                 options: dict[str, Any], *, lock_timeout: float, presence: Path) -> None:
        self.view = view
        self.factory = factory
        self.path = path
        self.options = options
        self.lock_timeout = lock_timeout
        self.lock_path = path.with_name(path.name + ".lock")
        self.presence = presence
        self._backend: MemoryBackend | None = None
        self._salvage_indexed: set[str] = set()

    @property
    def backend(self) -> MemoryBackend:
        if self._backend is None:
            self.path.mkdir(parents=True, exist_ok=True)
            self._backend = self.factory(self.path, self.options)
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    # -- writing -------------------------------------------------------------------------
    def sync(self, timeout: float | None = None) -> int:
        """Bring the index up to the journal; returns how many records it added or dropped.

        Waits ``timeout`` (default: the configured lock timeout) for the writer's
        lock, then raises :class:`~shadeos_archivist.locks.IndexBusy`.
        """
        with writer_lock(self.lock_path, self.lock_timeout if timeout is None else timeout):
            return self._sync_locked()

    def sync_if_free(self) -> None:
        """Sync unless the meta-daemon keeps the index or another writer is at it (never waits)."""
        if self.is_current() or held_by_other(self.presence):
            return
        try:
            self.sync(timeout=0)
        except Exception:  # busy or failing index: the search below still sees everything via the tail scan
            pass

    def is_current(self) -> bool:
        checkpoint = self.backend.checkpoint()
        return bool(checkpoint and checkpoint.get("generation") == self.view.generation
                    and checkpoint.get("offset") == self.view.end and not self.view.salvaged - self._salvage_indexed)

    def _sync_locked(self) -> int:
        view = self.view
        view.refresh()
        if view.generation is None:
            return 0
        if not self.path.is_dir():  # the index directory was removed under us: start over
            self.close()
        checkpoint = self.backend.checkpoint()
        if not checkpoint or checkpoint.get("generation") != view.generation:
            return self._rebuild_locked(None)
        offset = int(checkpoint.get("offset", 0))
        salvaged = [m for m in sorted(view.salvaged - self._salvage_indexed) if m in view.memories]
        if salvaged:
            # records recovered from a damaged line may sit behind the checkpoint, never indexed: in with them
            self.backend.update([view.memories[m] for m in salvaged], salvaged, None)
            self._salvage_indexed.update(salvaged)
        if offset == view.end:
            return len(salvaged)
        added = list(view.stored_since(offset))
        deleted = view.forgotten_since(offset)
        # an annotated memory is indexed again: out with the old words, in with its summary and keywords
        fresh = {record["id"] for record in added}
        again = [m for m in dict.fromkeys(view.annotated_since(offset)) if m not in fresh and m in view.memories]
        added += [view.memories[m] for m in again]
        self.backend.update(added, [*deleted, *again], {"generation": view.generation, "offset": view.end})
        return len(added) + len(deleted)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the index writer's lock (waiting the configured timeout at most)."""
        with writer_lock(self.lock_path, self.lock_timeout):
            yield

    def rebuild(self, progress: Progress | None = None) -> int:
        """Throw the index away and build it again from the journal; returns how many records it holds."""
        with self.writing():
            self.view.refresh()
            return self.rebuild_locked(progress)

    def rebuild_locked(self, progress: Progress | None = None) -> int:
        """:meth:`rebuild` for a caller already holding :meth:`writing`."""
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)
        return self._rebuild_locked(progress)

    def _rebuild_locked(self, progress: Progress | None) -> int:
        view = self.view
        backend = self.backend
        backend.clear()
        live = list(view.memories.values())
        total = len(live)
        step = max(2000, total // 20)
        if progress:
            progress(0, total)
        for start in range(0, total, step):
            batch = live[start:start + step]
            after = start + step
            # A partial checkpoint points at the first memory not indexed yet, so an interrupted
            # rebuild resumes where it stopped.
            offset = view.offset_of[live[after]["id"]] if after < total else view.end
            backend.update(batch, (), {"generation": view.generation, "offset": offset})
            if progress:
                progress(min(after, total), total)
        if not live:
            backend.update((), (), {"generation": view.generation, "offset": view.end})
        return total

    def optimize(self) -> dict[str, Any]:
        with self.writing():
            return self.backend.optimize()

    # -- reading -------------------------------------------------------------------------
    def search(self, terms: Sequence[str], *, strata: Sequence[str] | None, namespace: str | None,
               limit: int) -> list[tuple[str, float]]:
        """``(id, score)`` of live memories matching every term: unindexed ones first, then the index's."""
        view = self.view
        checkpoint = self.backend.checkpoint()
        current = bool(checkpoint and checkpoint.get("generation") == view.generation)
        offset = int(checkpoint.get("offset", 0)) if current and checkpoint else 0
        wanted = set(terms)
        fresh: list[tuple[str, float]] = []
        # memories stored, or annotated, since the index's checkpoint: scanned here (the index has them stale)
        unindexed = list(view.stored_since(offset))
        stale = {m for m in view.annotated_since(offset) if m in view.memories}
        stale |= {m for m in view.salvaged - self._salvage_indexed if m in view.memories}
        unindexed += [view.memories[m] for m in stale - {r["id"] for r in unindexed}]
        for record in unindexed:
            if namespace is not None and record["namespace"] != namespace:
                continue
            if strata and record["stratum"] not in strata:
                continue
            found = words(" ".join((record["content"], record.get("summary") or "", *(record.get("keywords") or ()))))
            if wanted.issubset(found):
                fresh.append((record["id"], float(sum(found.count(t) for t in wanted))))
        fresh.sort(key=lambda hit: -hit[1])
        hits = fresh[:limit]
        if len(hits) < limit and current:
            seen = {memory_id for memory_id, _ in hits}
            # Forgotten memories may linger in the index until the next sync: ask for enough to skip them.
            extra = len(view.forgotten_since(offset)) + len(stale)
            for memory_id, score in self.backend.search(terms, strata=strata, namespace=namespace,
                                                        limit=limit - len(hits) + extra):
                if memory_id in view.memories and memory_id not in seen and memory_id not in stale:
                    hits.append((memory_id, score))
                    seen.add(memory_id)
                if len(hits) >= limit:
                    break
        return hits

    def stats(self) -> dict[str, Any]:
        checkpoint = self.backend.checkpoint() or {}
        current = checkpoint.get("generation") == self.view.generation
        return {"indexed": self.backend.count(),
                "lag_bytes": self.view.end - int(checkpoint.get("offset", 0)) if current else self.view.end}
