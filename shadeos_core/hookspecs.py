"""The hook contract between the kernel and every plugin (project name ``shadeos``).

Hooks are called with keyword arguments only. ``register_*`` hooks receive a
``register`` callback and return nothing; the kernel tags what each plugin
registers with that plugin's name.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from .events import DaemonEvent
    from .kernel import Kernel
    from .team import Team

__all__ = ["PROJECT", "hookspec", "hookimpl", "HOOK_NAMES", "spec_names"]

PROJECT = "shadeos"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_daemons(register: Callable[[str, type], None]) -> None:
    """Add daemon types usable as ``type = "name"`` in team files: ``register(name, cls)``."""


@hookspec
def register_meta_daemons(register: Callable[[str, type], None]) -> None:
    """Add meta-daemon types, run by a team as ``[meta.<name>]``: ``register(name, cls)``."""


@hookspec
def register_memory_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Add memory backends: ``register(name, factory)``, ``factory(path, options) -> MemoryBackend``."""


@hookspec
def register_janitors(register: Callable[[str, type], None]) -> None:
    """Add janitors, which find and clean stale state: ``register(name, cls)``."""


@hookspec
def register_execution_modes(register: Callable[[str, type], None]) -> None:
    """Add ways to run a command (``blocking``, ``background``…): ``register(name, cls)``."""


@hookspec
def register_teams(register: Callable[[Any], None]) -> None:
    """Ship team files with a plugin: ``register(path)`` of a team TOML."""


@hookspec
def register_checks(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Add checks to ``kin check``: ``register(name, fn)``, ``fn(ctx) -> iterable of Finding``."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``kin`` command line."""


@hookspec(firstresult=True)
def run_team(team: Team, kernel: Kernel) -> int | None:
    """Run ``team`` until it stops and return the exit code; ``None`` to let another plugin do it."""


@hookspec
def daemon_event(event: DaemonEvent) -> None:
    """Hear every lifecycle event: started, cycle, message, stopped, crashed, restarted, conflict, phase…"""


@hookspec(historic=True)
def add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Declare a plugin's own hookspecs (``pluginmanager.add_hookspecs(module)``)."""


def spec_names(namespace: object) -> tuple[str, ...]:
    """The hooks ``namespace`` (a hookspecs module or class) declares, in the order it declares them."""
    marker = f"{PROJECT}_spec"
    return tuple(name for name, value in vars(namespace).items() if callable(value) and hasattr(value, marker))


#: The contract's hooks, in the order declared above.
HOOK_NAMES = spec_names(sys.modules[__name__])
