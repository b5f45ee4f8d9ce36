"""Hook implementations of the luciorbe plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shadeos_core.hookspecs import hookimpl


@hookimpl
def register_janitors(register: Callable[[str, type], None]) -> None:
    from .janitor import LuciorbeJanitor

    register("luciorbes", LuciorbeJanitor)


@hookimpl
def register_meta_daemons(register: Callable[[str, type], None]) -> None:
    from .janitor_daemon import JanitorDaemon

    register("janitor", JanitorDaemon)


@hookimpl
def register_checks(register: Callable[[str, Callable[..., Any]], None]) -> None:
    from .check import check_luciorbes

    register("luciorbes", check_luciorbes)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import hooks_group, luciorbe_group

    cli.add_command(luciorbe_group)
    cli.add_command(hooks_group)
