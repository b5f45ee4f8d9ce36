"""ShadeOS ``kin``: the kernel. Hooks, file formats and the daemon runtime; every feature is a plugin.

Public names are imported lazily so that ``kin --help`` stays fast.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "hookimpl", "Kernel", "Workspace", "Team", "DaemonSpec", "Daemon", "MetaDaemon", "Injection", "CycleResult",
    "Luciorbe", "Mailbox", "Message", "Janitor", "Cleanup", "Finding", "CheckContext", "ExecutionMode",
    "CommandSpec", "ExecutionResult", "MemoryBackend", "KinError", "ConfigError", "UsageError", "DaemonEvent",
    "OptionError",
]

_WHERE = {
    "hookimpl": "hookspecs", "Kernel": "kernel", "Workspace": "workspace", "Team": "team", "DaemonSpec": "team",
    "Daemon": "daemon", "MetaDaemon": "daemon", "Injection": "daemon", "CycleResult": "daemon", "OptionError": "daemon",
    "Luciorbe": "luciorbe", "Mailbox": "mailbox", "Message": "mailbox", "Janitor": "janitor", "Cleanup": "janitor",
    "Finding": "checks", "CheckContext": "checks", "ExecutionMode": "execution", "CommandSpec": "execution",
    "ExecutionResult": "execution", "MemoryBackend": "memory", "KinError": "errors", "ConfigError": "errors",
    "UsageError": "errors", "DaemonEvent": "events",
}

if TYPE_CHECKING:
    from .checks import CheckContext, Finding
    from .daemon import CycleResult, Daemon, Injection, MetaDaemon, OptionError
    from .errors import ConfigError, KinError, UsageError
    from .events import DaemonEvent
    from .execution import CommandSpec, ExecutionMode, ExecutionResult
    from .hookspecs import hookimpl
    from .janitor import Cleanup, Janitor
    from .kernel import Kernel
    from .luciorbe import Luciorbe
    from .mailbox import Mailbox, Message
    from .memory import MemoryBackend
    from .team import DaemonSpec, Team
    from .workspace import Workspace


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'shadeos_core' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
