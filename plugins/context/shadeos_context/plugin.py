"""Hook implementations of the context plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shadeos_core.hookspecs import hookimpl


@hookimpl
def register_meta_daemons(register: Callable[[str, type], None]) -> None:
    from .daemon import ContextDaemon

    register("context", ContextDaemon)


@hookimpl
def register_commands(cli: Any) -> None:
    from .commands import context

    cli.add_command(context)
