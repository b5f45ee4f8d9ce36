"""Hook implementations of the process plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shadeos_core.hookspecs import hookimpl


@hookimpl
def register_execution_modes(register: Callable[[str, type], None]) -> None:
    from .modes import MODES

    for name, cls in MODES.items():
        register(name, cls)


@hookimpl
def register_janitors(register: Callable[[str, type], None]) -> None:
    from .janitor import ProcessJanitor

    register("processes", ProcessJanitor)


@hookimpl
def register_daemons(register: Callable[[str, type], None]) -> None:
    from .command_daemon import CommandDaemon

    register("command", CommandDaemon)


@hookimpl
def register_commands(cli: Any) -> None:
    from .commands import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)
