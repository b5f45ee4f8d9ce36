"""Hooks the archivist declares for other plugins (project ``shadeos``): store, search, and notice change.

A plugin calls them as ``kernel.hooks.call("memory_search", workspace=…, query=…, …)`` (keyword
arguments only); ``kernel.hooks.has("memory_search")`` is false when no archivist is installed.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from shadeos_core.hookspecs import hookspec

if TYPE_CHECKING:
    from shadeos_core.workspace import Workspace

__all__ = ["memory_store", "memory_search", "memory_revision", "memory_get", "memory_forget", "memory_link"]


@hookspec(firstresult=True)
def memory_store(workspace: Workspace, stratum: str, content: str, namespace: str, summary: str | None,
                 keywords: Sequence[str] | None, metadata: Mapping[str, Any] | None, author: str | None) -> str:
    """Store a memory in ``workspace``'s archive and return its id once it is durable."""


@hookspec(firstresult=True)
def memory_search(workspace: Workspace, query: str, strata: Sequence[str] | None, namespace: str | None,
                  limit: int) -> list[dict[str, Any]]:
    """Memories matching every word of ``query``, best first; each dict has at least ``id``, ``stratum``,
    ``namespace``, ``score``, ``content``, ``summary``, ``created``."""


@hookspec(firstresult=True)
def memory_revision(workspace: Workspace) -> str:
    """An opaque token that changes whenever ``workspace``'s archive changes (one ``stat``: cheap to poll)."""


@hookspec(firstresult=True)
def memory_get(workspace: Workspace, memory_id: str) -> dict[str, Any] | None:
    """Memory ``memory_id`` with every field, ``previous``/``next`` in its namespace, and ``links``: its edges
    both ways (each with ``source``, ``target``, ``type``, ``cross_fractal``, ``created``); ``None`` if unknown."""


@hookspec(firstresult=True)
def memory_forget(workspace: Workspace, memory_id: str) -> bool:
    """Forget memory ``memory_id`` and every edge to or from it; ``False`` when no such memory is stored."""


@hookspec(firstresult=True)
def memory_link(workspace: Workspace, source: str, target: str, link_type: str) -> dict[str, Any]:
    """Link memory ``source`` to memory ``target`` with a typed edge (``associative``, ``transcendence``,
    ``immanence`` or a custom name) and return the edge (``source``, ``target``, ``type``, ``cross_fractal``,
    ``created``); an unknown memory or a bad type is a ``KinError``."""
