"""``MidTermContext``: the working memory daemons share between their cycles and the long-term archive."""
from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

from shadeos_core.workspace import Workspace

from .archive import MISSING, Archive
from .enrichment import EnrichmentCache
from .persistence import Persisted, Persistence
from .settings import ContextSettings
from .store import ContextEntry, ContextStore, copy_json

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel

__all__ = ["MidTermContext"]

log = logging.getLogger(__name__)


class MidTermContext:
    """Fast TTL key-value context per (daemon id, context type), shared by every process of a workspace.

    Open with :meth:`open`. Reads cost one ``os.stat`` when nothing changed; a
    write by any process is seen by the next read in every process. Persistence
    and enrichment use the archivist's hooks through ``kernel`` (loaded on first
    need when not given).
    """

    def __init__(self, workspace: Workspace, *, settings: ContextSettings | None = None,
                 kernel: Kernel | None = None) -> None:
        self.workspace = workspace
        self.settings = settings if settings is not None else ContextSettings.from_workspace(workspace)
        self.store = ContextStore(workspace, self.settings)
        self.persistence = Persistence(self.store, self.settings)
        self._kernel = kernel
        self._archive: Archive | None = None
        self._enrichments = EnrichmentCache()

    @classmethod
    def open(cls, workspace: Workspace | str | os.PathLike[str], *, kernel: Kernel | None = None,
             settings: ContextSettings | None = None) -> MidTermContext:
        """The context of ``workspace`` (a :class:`Workspace`, or any path inside one)."""
        ws = workspace if isinstance(workspace, Workspace) else Workspace.find(workspace)
        return cls(ws, settings=settings, kernel=kernel)

    # -- the archive, loaded on first need -----------------------------------------------
    @property
    def archive(self) -> Archive:
        if self._archive is None:
            if self._kernel is None:
                from shadeos_core.kernel import Kernel

                self._kernel = Kernel.load(self.workspace.root)
            self._archive = Archive(self._kernel, self.workspace)
        return self._archive

    # -- the core API --------------------------------------------------------------------
    def store_context(self, daemon_id: str, context_type: str, data: dict[str, Any], *,
                      ttl: float | None = None) -> bool:
        """Replace the context ``context_type`` of ``daemon_id`` with ``data`` (a JSON object).

        ``ttl`` in seconds (default: the type's TTL from ``[context.ttl]`` or the
        built-in defaults). Raises :class:`~shadeos_core.UsageError` for a bad name, a
        value that is not JSON or one over ``max_entry_bytes``. Returns ``True``.
        """
        self.store.write(daemon_id, context_type, data, ttl)
        return True

    def retrieve_context(self, daemon_id: str, context_type: str) -> dict[str, Any] | None:
        """The stored data, read-only (a ``dict`` whose changes raise ``TypeError``; ``copy_json`` gives a
        changeable copy), or ``None`` when absent or expired."""
        entry = self.store.read(daemon_id, context_type)
        if entry is None or entry.expires_at <= time.time():
            return None
        return entry.data

    def entry(self, daemon_id: str, context_type: str) -> ContextEntry | None:
        """The live entry with its timestamps (``None`` when absent or expired); its data is read-only."""
        entry = self.store.read(daemon_id, context_type)
        return None if entry is None or entry.expired() else entry

    def entries(self) -> list[ContextEntry]:
        """Every live entry, sorted by daemon then type."""
        now = time.time()
        return [e for e in self.store.entries() if not e.expired(now)]

    def enrich_context(self, daemon_id: str, context_type: str, query: str) -> dict[str, Any]:
        """The stored context plus the archived memories most relevant to ``query``.

        Returns ``{"daemon_id", "context_type", "query", "context", "memories",
        "archive", "cached"}``: ``context`` is the data (``None`` when absent),
        ``memories`` the archive's search results, best first; ``archive`` is
        ``"ok"`` or the one line saying what to install (then ``memories`` is
        empty). Results are cached per (daemon, type, query) until the entry or
        the archive changes.
        """
        entry = self.entry(daemon_id, context_type)
        context = entry.data if entry is not None else None
        result: dict[str, Any] = {"daemon_id": daemon_id, "context_type": context_type, "query": query,
                                  "context": context, "memories": [], "archive": "ok", "cached": False}
        archive = self.archive
        if not archive.available:
            result["archive"] = f"context enrichment {MISSING}"
            return result
        key = (daemon_id, context_type, query)
        version = (entry.stored_at, entry.pid, entry.expires_at) if entry is not None else None
        revision = archive.revision()
        cached = self._enrichments.get(key, version, revision)
        if cached is not None:
            return {**result, "memories": copy_json(cached["memories"]), "cached": True}
        memories = archive.search(query, limit=self.settings.enrich_limit)
        self._enrichments.put(key, version, revision, {"memories": memories})
        return {**result, "memories": copy_json(memories)}

    def check_persistence_triggers(self) -> list[str]:
        """Evaluate the periodic, task-completion and size triggers; persist for those that fire.

        Returns the names of the triggers that fired (``[]`` when the archivist is
        not installed: see :attr:`archive`).
        """
        fired, _done = self.persistence.check(self.archive)
        return fired

    def request_persistence(self, trigger_type: str = "explicit") -> bool:
        """Persist now for ``trigger_type``; ``True`` when something new went to the archive.

        Raises :class:`~shadeos_core.KinError` when the archivist is not installed.
        """
        return bool(self.persist(trigger_type))

    # -- conveniences --------------------------------------------------------------------
    def persist(self, trigger_type: str = "explicit") -> list[Persisted]:
        """Like :meth:`request_persistence`, returning each archived entry."""
        return self.persistence.request(self.archive, trigger_type)

    def expire(self) -> list[ContextEntry]:
        """Delete the entries past their TTL; returns them."""
        return self.store.expire()
