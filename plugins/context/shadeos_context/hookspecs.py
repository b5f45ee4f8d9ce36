"""Hooks the context plugin declares for other plugins (project ``shadeos``): store and read context.

A plugin calls them as ``kernel.hooks.call("context_store", workspace=…, …)``
(keyword arguments only); ``kernel.hooks.has("context_store")`` is false when
the context plugin is not installed. Both are ``firstresult``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shadeos_core.hookspecs import hookspec

if TYPE_CHECKING:
    from shadeos_core.workspace import Workspace

__all__ = ["context_store", "context_retrieve"]


@hookspec(firstresult=True)
def context_store(workspace: Workspace, daemon_id: str, context_type: str, data: dict[str, Any],
                  ttl: float | None) -> bool:
    """Replace the entry (``daemon_id``, ``context_type``) of ``workspace``'s context with ``data`` (a JSON
    object), for ``ttl`` seconds (``None``: the type's default). Bad input raises ``UsageError``."""


@hookspec(firstresult=True)
def context_retrieve(workspace: Workspace, daemon_id: str, context_type: str) -> dict[str, Any] | None:
    """A copy of the entry's data; ``None`` when it is absent or expired."""
