"""``kin teams`` and ``kin teams show NAME``."""
from __future__ import annotations

import rich_click as click

from .app import App
from .output import err, print_json, print_table


@click.group("teams", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of teams.")
@click.pass_context
def command(ctx: click.Context, as_json: bool) -> None:
    """List the teams visible from here: name, source file, daemons."""
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    teams = app.kernel.teams(cwd=app.cwd)
    root = app.kernel.workspace.root
    rows = []
    for name in teams.names():
        if name in teams.teams:
            team = teams.teams[name]
            rows.append({"name": name, "source": team.source.label(root), "valid": True,
                         "daemons": [s.name for s in team.daemons.values()],
                         "meta": [s.name for s in team.meta.values()], "description": team.description})
        else:
            rows.append({"name": name, "source": "", "valid": False, "error": str(teams.errors[name]),
                         "daemons": [], "meta": []})
    if as_json:
        print_json(rows)
    else:
        if not rows:
            click.echo(f"no teams in {root} (create one with `kin init`)")
        else:
            print_table(["team", "source", "daemons", "meta-daemons"],
                        [(r["name"], r["source"] or "[red]invalid[/red]", ", ".join(r["daemons"]), ", ".join(r["meta"]))
                         for r in rows])
    for warning in teams.warnings:
        err(f"kin: warning: {warning}")
    for error in [*teams.errors.values(), *teams.file_errors.values()]:
        err(f"kin: error: {error}")
    if teams.errors or teams.file_errors:
        ctx.exit(2)


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
