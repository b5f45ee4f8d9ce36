"""The core's own plugin: registered like any other, it adds the ``teams`` check to ``kin check``."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .checks import CheckContext, Finding
from .errors import ConfigError
from .hookspecs import hookimpl


def check_teams(ctx: CheckContext) -> Iterator[Finding]:
    """Every team file of the project must parse and validate (teams shipped by plugins are theirs to keep)."""
    teams = ctx.kernel.teams()
    for error in teams.file_errors.values():
        yield Finding("error", error.message, path=error.where or "", hint=error.hint or "")
    for name in teams.names():
        source = teams.source_of(name)
        if source is not None and source.kind != "project":
            continue  # a plugin's team is the plugin's to keep; kin teams shows whether it is valid
        try:
            teams.get(name)
        except ConfigError as error:
            yield Finding("error", error.message, path=error.where or "", hint=error.hint or "")
    for warning in teams.warnings:
        yield Finding("warning", warning)


@hookimpl
def register_checks(register: Callable[[str, Any], None]) -> None:
    register("teams", check_teams)
