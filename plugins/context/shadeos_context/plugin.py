"""Hook implementations of the context plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadeos_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from shadeos_core.workspace import Workspace

    from .context import MidTermContext

_open: dict[Path, MidTermContext] = {}


def _context(workspace: Workspace) -> MidTermContext:
    """One context per workspace per process: its in-memory cache is what makes reads cost one stat."""
    from .context import MidTermContext

    context = _open.get(workspace.root)
    if context is None:
        context = _open[workspace.root] = MidTermContext.open(workspace)
    return context


@hookimpl
def add_hookspecs(pluginmanager: Any) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def context_store(workspace: Workspace, daemon_id: str, context_type: str, data: dict[str, Any],
                  ttl: float | None) -> bool:
    return _context(workspace).store_context(daemon_id, context_type, data, ttl=ttl)


@hookimpl
def context_retrieve(workspace: Workspace, daemon_id: str, context_type: str) -> dict[str, Any] | None:
    return _context(workspace).retrieve_context(daemon_id, context_type)


@hookimpl
def register_meta_daemons(register: Callable[[str, type], None]) -> None:
    from .daemon import ContextDaemon

    register("context", ContextDaemon)


@hookimpl
def register_commands(cli: Any) -> None:
    from .commands import context

    cli.add_command(context)
