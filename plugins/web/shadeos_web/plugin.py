"""Hook implementations of the web plugin (kept light: the server's libraries are imported by the command)."""
from __future__ import annotations

from typing import Any

from shadeos_core.hookspecs import hookimpl


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import web

    cli.add_command(web)
