"""kin plugin: execution modes, process tracking, tree kill, kin exec|ps|kill|logs, the command daemon type.

The public API is imported lazily (``kin --help`` loads only :mod:`shadeos_process.plugin`).
``shadeos_process.ExecutionMode`` enumerates the modes for :func:`execute_command`;
``shadeos_core.ExecutionMode`` is the base class a plugin subclasses to add one.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "ExecutionMode", "ExecutionResult", "CommandSpec", "ProcessInfo", "TreeKill", "CommandNotFound",
    "execute_command", "communicate_with_process", "write_to_process", "read_until", "read_from_process",
    "wait_for_process", "get_active_processes", "cleanup_finished_processes", "kill_process", "kill_process_tree",
    "kill_processes_by_name", "send_signal_to_process", "interrupt_process", "terminate_process",
    "BlockingMode", "BackgroundMode", "InteractiveMode", "MonitoredMode",
]

_WHERE = {
    "ExecutionMode": "api", "ProcessInfo": "api", "execute_command": "api", "communicate_with_process": "api",
    "write_to_process": "api", "read_until": "api", "read_from_process": "api", "wait_for_process": "api",
    "get_active_processes": "api", "cleanup_finished_processes": "api",
    "TreeKill": "termination", "kill_process": "termination", "kill_process_tree": "termination",
    "kill_processes_by_name": "termination", "send_signal_to_process": "termination",
    "interrupt_process": "termination", "terminate_process": "termination",
    "CommandNotFound": "spawn",
    "BlockingMode": "modes", "BackgroundMode": "modes", "InteractiveMode": "modes", "MonitoredMode": "modes",
}

if TYPE_CHECKING:
    from shadeos_core.execution import CommandSpec, ExecutionResult

    from .api import (
        ExecutionMode,
        ProcessInfo,
        cleanup_finished_processes,
        communicate_with_process,
        execute_command,
        get_active_processes,
        read_from_process,
        read_until,
        wait_for_process,
        write_to_process,
    )
    from .modes import BackgroundMode, BlockingMode, InteractiveMode, MonitoredMode
    from .spawn import CommandNotFound
    from .termination import (
        TreeKill,
        interrupt_process,
        kill_process,
        kill_process_tree,
        kill_processes_by_name,
        send_signal_to_process,
        terminate_process,
    )


def __getattr__(name: str) -> Any:
    if name in ("ExecutionResult", "CommandSpec"):
        value = getattr(import_module("shadeos_core.execution"), name)
    elif name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    else:
        raise AttributeError(f"module 'shadeos_process' has no attribute {name!r}")
    globals()[name] = value
    return value
