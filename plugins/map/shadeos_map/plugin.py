"""Hook implementations of the map plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations

from collections.abc import Callable
from importlib.util import find_spec
from typing import Any

from shadeos_core.hookspecs import hookimpl


@hookimpl
def add_hookspecs(pluginmanager: Any) -> None:
    """Declare ``count_tokens``; add the tiktoken counter as a plugin of its own when tiktoken is installed."""
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)
    if find_spec("tiktoken") is not None and pluginmanager.get_plugin("map-tiktoken") is None \
            and not pluginmanager.is_blocked("map-tiktoken"):
        from . import tiktoken_counter

        pluginmanager.register(tiktoken_counter, name="map-tiktoken")


@hookimpl(trylast=True)
def count_tokens(text: str, path: str) -> int:
    """The offline estimator: answers when no better counter did."""
    from .estimator import estimate_tokens

    return estimate_tokens(text)


@hookimpl
def register_meta_daemons(register: Callable[[str, type], None]) -> None:
    from .daemon import MapDaemon

    register("map", MapDaemon)


@hookimpl
def register_checks(register: Callable[[str, Any], None]) -> None:
    from .check import check_map

    register("map", check_map)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import command

    cli.add_command(command)
