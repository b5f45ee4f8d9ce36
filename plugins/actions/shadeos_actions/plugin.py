"""Hook implementations of the actions plugin (kept light: the work happens in modules imported on use)."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shadeos_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from shadeos_core.events import DaemonEvent
    from shadeos_core.workspace import Workspace

    from .recorder import Recorder

#: One recorder per workspace directory of this process (``None``: not a workspace, nothing recorded).
_recorders: dict[str, Recorder | None] = {}


def _recorder() -> Recorder | None:
    """The recorder of the workspace this process runs in (daemons run in the workspace's root)."""
    cwd = os.getcwd()
    if cwd in _recorders:
        return _recorders[cwd]
    from shadeos_core.workspace import Workspace

    from .recorder import Recorder
    from .registry import actions_dir

    workspace = Workspace.find(cwd)
    recorder = Recorder(actions_dir(workspace)) if workspace.marked else None
    _recorders[cwd] = recorder
    return recorder


@hookimpl
def daemon_event(event: DaemonEvent) -> None:
    try:
        recorder = _recorder()
    except Exception:  # noqa: BLE001 - a workspace that cannot be found records nothing, silently
        return
    if recorder is not None:
        recorder.record(event)


@hookimpl
def add_hookspecs(pluginmanager: Any) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def actions_report(workspace: Workspace, since: float | None) -> dict[str, Any] | None:
    from .registry import ActionRegistry

    report = ActionRegistry(workspace).report(since)
    return {"performance": report["performance"], "graph": report["graph"], "insights": report["insights"],
            **({"review": report["review"]} if "review" in report else {})}


@hookimpl
def register_meta_daemons(register: Callable[[str, type], None]) -> None:
    from .daemon import ActionsDaemon

    register("actions", ActionsDaemon)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import actions, insights

    cli.add_command(actions)
    cli.add_command(insights)
