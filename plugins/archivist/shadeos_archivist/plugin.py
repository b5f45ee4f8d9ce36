"""Hook implementations of the archivist plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadeos_core.hookspecs import hookimpl

if TYPE_CHECKING:
    import click
    import pluggy

    from shadeos_core.workspace import Workspace

    from .archivist import Archivist

_open: dict[Path, Archivist] = {}


def _archivist(workspace: Workspace) -> Archivist:
    """One archive per workspace per process: opening replays the journal, later calls only read its tail."""
    from .archivist import Archivist

    archive = _open.get(workspace.root)
    if archive is None:
        archive = _open[workspace.root] = Archivist.open(workspace)
    return archive


@hookimpl
def add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def register_memory_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    from .archivist import BUILTIN_BACKENDS

    for name, factory in BUILTIN_BACKENDS.items():
        register(name, factory)


@hookimpl
def register_meta_daemons(register: Callable[[str, type], None]) -> None:
    from .daemon import ArchivistDaemon

    register("archivist", ArchivistDaemon)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import memory

    cli.add_command(memory)


@hookimpl
def memory_store(workspace: Workspace, stratum: str, content: str, namespace: str, summary: str | None,
                 keywords: Sequence[str] | None, metadata: Mapping[str, Any] | None, author: str | None) -> str:
    return _archivist(workspace).store_memory(stratum, content, namespace=namespace or "global", summary=summary,
                                              keywords=keywords, metadata=metadata, author=author)


@hookimpl
def memory_search(workspace: Workspace, query: str, strata: Sequence[str] | None, namespace: str | None,
                  limit: int) -> list[dict[str, Any]]:
    return _archivist(workspace).search(query, strata=strata, namespace=namespace, limit=limit or 10)


@hookimpl
def memory_revision(workspace: Workspace) -> str:
    from .journal import Journal

    # Only a stat: no need to open (and replay) the archive to tell whether it changed.
    return Journal(workspace.kin_dir / "memory").revision()


@hookimpl
def memory_get(workspace: Workspace, memory_id: str) -> dict[str, Any] | None:
    archive = _archivist(workspace)
    memory = archive.retrieve_memory(memory_id)
    if memory is None:
        return None
    return {**memory, "links": archive.links(memory_id, direction="both")}


@hookimpl
def memory_forget(workspace: Workspace, memory_id: str) -> bool:
    return _archivist(workspace).forget_memory(memory_id)


@hookimpl
def memory_link(workspace: Workspace, source: str, target: str, link_type: str) -> dict[str, Any]:
    return _archivist(workspace).create_fractal_links(source, target, link_type)
