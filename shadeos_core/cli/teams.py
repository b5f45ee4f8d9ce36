"""``kin teams`` and ``kin teams show NAME``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import rich_click as click

from ..builtin import ShadowedTeam, shadowed_teams
from .app import App
from .output import console, err, fit_columns, print_json, print_table, shown

if TYPE_CHECKING:
    from ..team import TeamSource


@click.group("teams", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of teams.")
@click.pass_context
def command(ctx: click.Context, as_json: bool) -> None:
    """List the teams visible from here: name, source, daemons.

    The source is the team's file, or (plugin:NAME) for a team a plugin ships. A team
    named like a command (kin map) is started with kin run NAME; a warning says so.
    """
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    teams = app.kernel.teams(cwd=app.cwd)
    root = app.kernel.workspace.root
    shadows = {shadow.team: shadow for shadow in shadowed_teams(app.kernel, teams)}
    rows = []
    for name in teams.names():
        if name in teams.teams:
            team = teams.teams[name]
            row = {"name": name, "source": team.source.label(root), "valid": True,
                   "daemons": [s.name for s in team.daemons.values()],
                   "meta": [s.name for s in team.meta.values()], "description": team.description}
        else:
            row = {"name": name, "source": "", "valid": False, "error": str(teams.errors[name]),
                   "daemons": [], "meta": []}
        rows.append(row | _extras(teams.source_of(name), shadows.get(name)))
    if as_json:
        print_json(rows)
    else:
        if not rows:
            click.echo(f"no teams in {root} (create one with `kin init`)")
        else:
            _print_teams(rows)
    for warning in [*teams.warnings, *map(str, shadows.values())]:
        err(f"kin: warning: {warning}")
    for error in [*teams.errors.values(), *teams.file_errors.values()]:
        err(f"kin: error: {error}")
    if teams.errors or teams.file_errors:
        ctx.exit(2)


def _extras(source: TeamSource | None, shadow: ShadowedTeam | None) -> dict[str, Any]:
    """Keys only some teams have: ``plugin`` (the plugin that ships it), ``shadowed_by`` and ``start``."""
    extras: dict[str, Any] = {}
    if source is not None and source.kind != "project":
        extras["plugin"] = source.kind.partition(":")[2]
    if shadow is not None:
        extras["shadowed_by"] = {"command": shadow.team, "plugin": shadow.command_plugin}
        extras["start"] = shadow.start
    return extras


def _print_teams(rows: list[dict[str, Any]]) -> None:
    """One line per team: its name and source whole, the member lists cut to fit (``--json`` has them all)."""
    from rich.table import Table

    cells = [(row["name"], _source_cell(row), ", ".join(row["daemons"]), ", ".join(row["meta"])) for row in rows]
    table = Table(show_edge=False, header_style="bold")
    # columns no wider than the widest source keep their width, so "(plugin:NAME)" or a path is never cut
    sources = [len(shown(cell[1])) for cell, row in zip(cells, rows) if row["valid"]]
    fit_columns(table, ["team", "source", "daemons", "meta-daemons"], cells, short=min(40, max([12, *sources])))
    for row in cells:
        table.add_row(*(shown(cell) for cell in row))
    console().print(table)


def _source_cell(row: dict[str, Any]) -> str:
    if not row["valid"]:
        return "[red]invalid[/red]"
    return f"(plugin:{row['plugin']})" if "plugin" in row else str(row["source"])


@command.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the resolved team as JSON.")
@click.pass_obj
def show(app: App, name: str, as_json: bool) -> None:
    """Print team NAME as resolved: defaults filled in, durations in seconds."""
    team = app.kernel.teams(cwd=app.cwd).get(name)
    data = team.to_json(app.kernel.workspace.root)
    if as_json:
        print_json(data)
        return
    click.echo(f"team {team.name}  ({data['source']})")
    if team.description:
        click.echo(f"  {team.description}")
    if team.mission:
        click.echo(f"  mission: {team.mission}")
    rows = []
    for spec in team.members():
        triggers = [f"every {spec.every:g}s"] if spec.every else []
        triggers += ["on message"] if spec.on_message else []
        triggers += [f"watch {', '.join(spec.watch)}"] if spec.watch else []
        phases = [p for p, names in team.phases.items() if spec.name in names]
        rows.append((spec.name, "meta" if spec.meta else "daemon", spec.type, "; ".join(triggers) or "on message",
                     spec.restart, ", ".join(phases) or "all"))
    print_table(["name", "kind", "type", "triggers", "restart", "phases"], rows)
