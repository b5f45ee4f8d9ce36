"""The core's own plugin: registered like any other, it adds the ``teams`` and ``team-names`` checks to ``kin check``."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .checks import CheckContext, Finding
from .errors import ConfigError
from .hookspecs import hookimpl
from .tomlpos import locate

if TYPE_CHECKING:
    from .kernel import Kernel
    from .team import TeamSet, TeamSource

__all__ = ["ShadowedTeam", "check_team_names", "check_teams", "shadowed_teams"]


@dataclass(frozen=True)
class ShadowedTeam:
    """A team whose name is also a command: ``kin NAME`` runs the command, ``kin run NAME`` the team."""

    team: str
    command_plugin: str  # the plugin that added the command ("core" for kin's own)
    plugin: str | None  # the plugin that ships the team; None for a project team
    source: TeamSource | None

    @property
    def start(self) -> str:
        return f"kin run {self.team}"

    def __str__(self) -> str:
        team = f"team {self.team!r}" + (f" of plugin {self.plugin!r}" if self.plugin else "")
        owner = "of kin itself" if self.command_plugin == "core" else f"of plugin {self.command_plugin!r}"
        return f"{team} cannot be started as `kin {self.team}`, which is a command {owner}: start it with `{self.start}`"


def shadowed_teams(kernel: Kernel, teams: TeamSet) -> list[ShadowedTeam]:
    """The teams of ``teams`` named like a command of ``kin`` (known once :meth:`Kernel.add_commands` ran)."""
    found = []
    for name in teams.names():
        if name in kernel.commands:
            source = teams.source_of(name)
            plugin = source.kind.partition(":")[2] if source is not None and source.kind != "project" else None
            found.append(ShadowedTeam(name, kernel.commands.owner(name), plugin or None, source))
    return found


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
    for path in teams.not_teams:
        yield Finding("info", "not a team file (no [team], [daemons], [meta] or [phases] table): kin leaves it alone",
                      path=ctx.workspace.relative(path))


def check_team_names(ctx: CheckContext) -> Iterator[Finding]:
    """A warning for each team that ``kin NAME`` cannot start because a command has that name."""
    root = ctx.workspace.root
    for shadow in shadowed_teams(ctx.kernel, ctx.kernel.teams()):
        source = shadow.source
        if shadow.plugin is None and source is not None:
            yield Finding("warning", str(shadow), path=source.label(root), line=_line(source), hint="or rename the team")
        else:
            yield Finding("warning", str(shadow))


def _line(source: TeamSource) -> int | None:
    """The line of a team's table in ``kin.toml`` (a team file is the team: no line)."""
    if not source.prefix:
        return None
    try:
        return locate(source.path.read_text(encoding="utf-8"), source.prefix)
    except (OSError, UnicodeDecodeError):
        return None


@hookimpl
def register_checks(register: Callable[[str, Any], None]) -> None:
    register("teams", check_teams)
    register("team-names", check_team_names)
