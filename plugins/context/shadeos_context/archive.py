"""The long-term archive as the context sees it: the archivist's hooks, reached through the kernel only.

The archivist declares ``memory_store``, ``memory_search`` and ``memory_revision``;
when no installed plugin implements them, persistence and enrichment are
unavailable and say so in one line.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shadeos_core.errors import KinError

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel
    from shadeos_core.workspace import Workspace

__all__ = ["Archive", "MISSING"]

MISSING = "needs the archivist: pip install shadeos-archivist"
_HOOKS = ("memory_store", "memory_search", "memory_revision")


class Archive:
    """Typed calls to the archive hooks of ``kernel``; :attr:`available` says whether anyone answers."""

    def __init__(self, kernel: Kernel, workspace: Workspace) -> None:
        self.kernel = kernel
        self.workspace = workspace
        self.available = all(kernel.hooks.has(name) for name in _HOOKS)

    def require(self, what: str) -> None:
        """Raise the one-line error when the archive is missing (``what``: "context persistence"…)."""
        if not self.available:
            raise KinError(f"{what} {MISSING}")

    def store(self, *, stratum: str, content: str, namespace: str, summary: str | None = None,
              keywords: Sequence[str] | None = None, metadata: dict[str, Any] | None = None,
              author: str | None = None) -> str:
        """Archive one memory; returns its id."""
        self.require("context persistence")
        memory_id = self.kernel.hooks.call(
            "memory_store", workspace=self.workspace, stratum=stratum, content=content, namespace=namespace,
            summary=summary, keywords=list(keywords) if keywords is not None else None, metadata=metadata,
            author=author)
        if not memory_id:
            raise KinError("the archive did not return a memory id", hint="check the archivist plugin (kin plugins)")
        return str(memory_id)

    def search(self, query: str, *, strata: Sequence[str] | None = None, namespace: str | None = None,
               limit: int = 5) -> list[dict[str, Any]]:
        """The memories most relevant to ``query``, best first."""
        self.require("context enrichment")
        found = self.kernel.hooks.call("memory_search", workspace=self.workspace, query=query,
                                       strata=list(strata) if strata else None, namespace=namespace, limit=limit)
        return list(found or [])

    def revision(self) -> str:
        """A token that changes whenever the archive changes."""
        self.require("context enrichment")
        return str(self.kernel.hooks.call("memory_revision", workspace=self.workspace))
