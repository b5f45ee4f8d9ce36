"""The core's own plugin: registered like any other, it adds the ``teams`` check to ``kin check``."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .checks import CheckContext, Finding
from .hookspecs import hookimpl


def check_teams(ctx: CheckContext) -> Iterator[Finding]:
    """Every team file visible from the workspace must parse and validate."""
    teams = ctx.kernel.teams()
    for error in teams.file_errors.values():
        yield Finding("error", error.message, path=error.where or "", hint=error.hint or "")
    for error in teams.errors.values():
        yield Finding("error", error.message, path=error.where or "", hint=error.hint or "")
    for warning in teams.warnings:
        yield Finding("warning", warning)


@hookimpl
def register_checks(register: Callable[[str, Any], None]) -> None:
    register("teams", check_teams)
