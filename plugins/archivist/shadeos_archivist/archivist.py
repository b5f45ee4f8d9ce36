"""``Archivist``: the memory of a workspace, stored in strata and namespaces, linked, searchable.

>>> archive = Archivist.open(".")
>>> first = archive.store_memory("somatic", "the parser fails on empty files", namespace="daemons/tester")
>>> archive.search("parser empty")[0]["id"] == first
True
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from shadeos_core.errors import ConfigError, KinError, UsageError
from shadeos_core.workspace import Workspace, check_name

from .indexing import Indexer, Progress
from .journal import Journal
from .model import (
    check_keywords,
    check_link_type,
    check_metadata,
    check_namespace,
    check_stratum,
    is_cross_fractal,
    make_memory,
    now_iso,
    words,
)
from .settings import Settings
from .view import ArchiveView

__all__ = ["Archivist", "BUILTIN_BACKENDS", "memory_view"]

_PUBLIC = ("id", "namespace", "stratum", "content", "summary", "keywords", "metadata", "author", "created")
DIRECTIONS = ("out", "in", "both")


def _whoosh_factory(path: Path, options: Mapping[str, Any]) -> Any:
    from .whoosh_backend import WhooshBackend

    return WhooshBackend(path, options)


def _sqlite_factory(path: Path, options: Mapping[str, Any]) -> Any:
    from .sqlite_backend import SqliteBackend

    return SqliteBackend(path, options)


#: The backends this plugin ships (also registered with ``register_memory_backends``).
BUILTIN_BACKENDS: dict[str, Callable[[Path, Mapping[str, Any]], Any]] = {
    "whoosh": _whoosh_factory, "sqlite": _sqlite_factory}


def memory_view(record: Mapping[str, Any], view: ArchiveView) -> dict[str, Any]:
    """What callers get for a memory: its fields plus its neighbours in the namespace's time chain."""
    out = {key: record.get(key) for key in _PUBLIC}
    out["previous"] = view.previous.get(record["id"])
    out["next"] = view.next.get(record["id"])
    return out


class Archivist:
    """One workspace's memory: the journal under ``.kin/memory/`` (the truth) and its index (derived)."""

    def __init__(self, workspace: Workspace, settings: Settings, factory: Callable[..., Any]) -> None:
        self.workspace = workspace
        self.settings = settings
        self.directory = workspace.state_dir("memory")
        self.journal = Journal(self.directory)
        self.view = ArchiveView(self.journal)
        options = {**workspace.section("archivist"), "lock_timeout": settings.lock_timeout}
        self.index = Indexer(self.view, factory, self.directory / f"index-{settings.backend}", options,
                             lock_timeout=settings.lock_timeout, presence=self.directory / "archivist.lock")
        self._fsync = settings.durability == "fsync"
        if self.journal.has_torn_tail():
            self.journal.recover()
        self.view.refresh()

    @classmethod
    def open(cls, workspace: Workspace | str | os.PathLike[str] | None = None, *, kernel: Any = None,
             backend: str | None = None) -> Archivist:
        """The archive of ``workspace`` (a :class:`Workspace`, or any path inside one; default: cwd).

        The backend is ``backend``, else ``[archivist] backend`` of ``kin.toml``
        (default ``whoosh``); one registered by another plugin is looked up in
        ``kernel`` (loaded when not given).
        """
        ws = workspace if isinstance(workspace, Workspace) else Workspace.find(workspace)
        settings = Settings.from_workspace(ws)
        if backend is not None:
            settings = dataclasses.replace(settings, backend=backend)
        factory = BUILTIN_BACKENDS.get(settings.backend)
        if factory is None:
            if kernel is None:
                from shadeos_core.kernel import Kernel

                kernel = Kernel.load(ws.root)
            if settings.backend not in kernel.memory_backends:
                known = ", ".join(sorted({*BUILTIN_BACKENDS, *kernel.memory_backends}))
                raise ConfigError(f"unknown memory backend {settings.backend!r}",
                                  where=f"{ws.config_path} [archivist] backend",
                                  hint=f"known: {known} (a plugin may add more with register_memory_backends)")
            factory = kernel.memory_backends[settings.backend]
        return cls(ws, settings, factory)

    def close(self) -> None:
        """Release the index; under ``durability = "batch"``, make every store durable first."""
        if not self._fsync:
            self.journal.sync()
        self.index.close()

    def __enter__(self) -> Archivist:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- storing -------------------------------------------------------------------------
    def store_memory(self, strata: str, content: str, *, namespace: str = "global", summary: str | None = None,
                     keywords: Iterable[str] | str | None = None, metadata: Mapping[str, Any] | None = None,
                     author: str | None = None) -> str:
        """Store one memory in stratum ``strata`` and return its id once it is durable in the journal."""
        record = make_memory(stratum=strata, content=content, namespace=namespace, summary=summary,
                             keywords=keywords, metadata=metadata, author=author, strata=self.settings.strata)
        self._append([record])
        return str(record["id"])

    def store_many(self, memories: Iterable[Mapping[str, Any]]) -> list[str]:
        """Store several memories (mappings with ``stratum`` and ``content``, and optionally the other
        fields of :meth:`store_memory`) in one append and one sync; all are validated first."""
        records = [make_memory(stratum=m.get("stratum", self.settings.default_stratum), content=m.get("content"),
                               namespace=m.get("namespace", "global"), summary=m.get("summary"),
                               keywords=m.get("keywords"), metadata=m.get("metadata"), author=m.get("author"),
                               strata=self.settings.strata) for m in memories]
        if records:
            self._append(records)
        return [r["id"] for r in records]

    def create_subgraph(self, daemon_id: str) -> str:
        """Declare the namespace ``daemons/<daemon_id>`` (a daemon's own subgraph) and return its name."""
        namespace = f"daemons/{check_name(daemon_id, what='daemon id')}"
        self.view.refresh()
        if namespace not in self.view.subgraphs:
            self._append([{"op": "subgraph", "namespace": namespace, "created": now_iso()}])
        return namespace

    def forget_memory(self, memory_id: str, cleanup_links: bool = True) -> bool:
        """Forget ``memory_id`` and (unless ``cleanup_links`` is false) every edge to or from it.

        Returns ``False`` when no such memory is stored.
        """
        self.view.refresh()
        if memory_id not in self.view.memories:
            return False
        self._append([{"op": "forget", "id": memory_id, "cleanup_links": bool(cleanup_links), "at": now_iso()}])
        return True

    def annotate_memory(self, memory_id: str, *, summary: str | None = None,
                        keywords: Iterable[str] | str | None = None) -> bool:
        """Set the summary and/or keywords of a stored memory (its content never changes); ``False`` if unknown.

        Appends an ``annotate`` record: the memory is indexed again with its new words.
        """
        if summary is None and keywords is None:
            raise UsageError("nothing to annotate: give a summary or keywords")
        if summary is not None and (not isinstance(summary, str) or not summary.strip()):
            raise UsageError("a summary must be non-empty text")
        self.view.refresh()
        if memory_id not in self.view.memories:
            return False
        record: dict[str, Any] = {"op": "annotate", "id": memory_id, "at": now_iso()}
        if summary is not None:
            record["summary"] = summary.strip()
        if keywords is not None:
            record["keywords"] = check_keywords(keywords)
        self._append([record])
        return True

    def create_fractal_links(self, source_id: str, target_id: str, link_type: str = "associative", *,
                             metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Add the typed edge ``source -> target``; cross-namespace edges are marked ``cross_fractal``.

        Linking the same pair with the same type twice returns the existing edge.
        """
        check_link_type(link_type)
        self.view.refresh()
        source, target = self._require(source_id), self._require(target_id)
        if source_id == target_id:
            raise UsageError(f"cannot link memory {source_id!r} to itself")
        existing = self.view.outgoing.get(source_id, {}).get((target_id, link_type))
        if existing is not None:
            return {k: v for k, v in existing.items() if k != "op"}
        edge = {"op": "link", "source": source_id, "target": target_id, "type": link_type,
                "metadata": check_metadata(metadata), "cross_fractal": is_cross_fractal(source, target),
                "created": now_iso()}
        self._append([edge])
        return {k: v for k, v in edge.items() if k != "op"}

    def _append(self, records: Sequence[dict[str, Any]]) -> None:
        self.journal.append(records, fsync=self._fsync)
        self.view.refresh()

    # -- reading -------------------------------------------------------------------------
    def retrieve_memory(self, memory_id: str) -> dict[str, Any] | None:
        """Every field of ``memory_id`` plus ``previous``/``next`` in its namespace; ``None`` if unknown."""
        self.view.refresh()
        record = self.view.get(memory_id)
        return memory_view(record, self.view) if record is not None else None

    def links(self, memory_id: str, direction: str = "both") -> list[dict[str, Any]]:
        """Edges of ``memory_id``: ``out`` (it is the source), ``in`` (the target) or ``both``."""
        if direction not in DIRECTIONS:
            raise UsageError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
        self.view.refresh()
        self._require(memory_id)
        return [{k: v for k, v in e.items() if k != "op"} for e in self.view.edges(memory_id, direction)]

    def search(self, query: str, *, strata: str | Sequence[str] | None = None, namespace: str | None = None,
               limit: int = 10) -> list[dict[str, Any]]:
        """Memories holding every word of ``query`` (in content, summary or keywords), best first.

        Each result has ``id``, ``stratum``, ``namespace``, ``score``, ``content``,
        ``summary``, ``created`` and the other fields. ``strata`` filters by one
        stratum or several, ``namespace`` by exact namespace.
        """
        terms = list(dict.fromkeys(words(query or "")))
        if not terms:
            raise UsageError("the search query has no words", hint="give at least one word to look for")
        wanted = [strata] if isinstance(strata, str) else list(strata or ())
        for stratum in wanted:
            check_stratum(stratum, self.settings.strata)
        if namespace is not None:
            check_namespace(namespace)
        if limit < 1:
            raise UsageError(f"limit must be at least 1, not {limit}")
        self.view.refresh()
        self.index.sync_if_free()
        hits = self.index.search(terms, strata=wanted or None, namespace=namespace, limit=limit)
        return [dict(memory_view(self.view.memories[memory_id], self.view), score=score)
                for memory_id, score in hits]

    def export(self, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        """Every live memory (of ``namespace``, if given) in journal order, each with its outgoing edges."""
        if namespace is not None:
            check_namespace(namespace)
        self.view.refresh()
        for record in list(self.view.memories.values()):
            if namespace is None or record["namespace"] == namespace:
                out = memory_view(record, self.view)
                out["links"] = [{k: v for k, v in e.items() if k not in ("op", "direction", "dangling")}
                                for e in self.view.edges(record["id"], "out")]
                yield out

    def revision(self) -> str:
        """An opaque token that changes whenever the archive changes (cheap: one ``stat``)."""
        return self.journal.revision()

    def stats(self) -> dict[str, Any]:
        """Counts per stratum and namespace, links, journal size, backend and index state."""
        self.view.refresh()
        strata: dict[str, int] = dict.fromkeys(self.settings.strata, 0)
        namespaces: dict[str, int] = {}
        for record in self.view.memories.values():
            strata[record["stratum"]] = strata.get(record["stratum"], 0) + 1
            namespaces[record["namespace"]] = namespaces.get(record["namespace"], 0) + 1
        edges = list(self.view.all_edges())
        return {"memories": len(self.view.memories), "strata": strata, "namespaces": namespaces,
                "subgraphs": sorted(self.view.subgraphs), "links": len(edges),
                "cross_fractal_links": sum(1 for e in edges if e.get("cross_fractal")),
                "journal": {"path": str(self.journal.path), "bytes": self.journal.size(),
                            "generation": self.view.generation, "durability": self.settings.durability},
                "backend": self.settings.backend, **self.index.stats()}

    # -- upkeep --------------------------------------------------------------------------
    def sync_index(self, timeout: float | None = None) -> int:
        """Bring the index up to the journal now (what the meta-daemon does each cycle)."""
        return self.index.sync(timeout)

    def reindex(self, progress: Progress | None = None) -> int:
        """Delete the index and rebuild it from the journal; returns how many memories it holds."""
        return self.index.rebuild(progress)

    def optimize_memory(self) -> dict[str, Any]:
        """Remove exact duplicates within a namespace, compact the journal, rebuild and merge the index.

        A duplicate (same namespace, stratum, content, summary and keywords as an
        older memory) is dropped and its edges move to the older one. Returns
        what was done.
        """
        from .compaction import compact

        before = self.journal.size()
        with self.index.writing():
            removed = {}

            def build() -> list[dict[str, Any]]:
                self.view.refresh()
                records, dropped = compact(self.view)
                removed.update(dropped)
                return records

            forgotten = self.view.forgotten
            self.journal.rewrite(build)
            self.view.refresh()
            indexed = self.index.rebuild_locked()
        index = self.index.optimize()
        return {"duplicates_removed": len(removed), "forgotten_dropped": forgotten,
                "journal_bytes_before": before, "journal_bytes_after": self.journal.size(),
                "memories": len(self.view.memories), "indexed": indexed, "index": index}

    def _require(self, memory_id: str) -> dict[str, Any]:
        record = self.view.get(memory_id)
        if record is None:
            raise KinError(f"no memory with id {memory_id!r}", where=str(self.journal.path),
                           hint="list some with: kin memory search WORDS")
        return record
