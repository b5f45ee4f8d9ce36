"""``kin init``: scaffold a workspace without ever overwriting what the user wrote."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import rich_click as click

from ..errors import UsageError
from ..fsio import atomic_write_text
from ..team import is_team_file
from .app import App

KIN_TOML = """\
# kin workspace configuration.
# Teams live in teams/*.toml (or here, as [teams.<name>] tables); plugins read
# their own tables ([map], [luciorbe], [archivist], [context], [agents] ...).
# Agents use [agents] model (else $KIN_MODEL, else llm's default model): see kin models.
"""
IGNORED = (".kin/", ".luciorbe*")
#: The predefined team `kin init` starts from when no --team is given (when a plugin ships it).
DEFAULT_FROM = "general"
MISSION = """\
# Mission

<!-- Say here, in your own words, what the team should achieve: the goal, the constraints,
     what "done" looks like. The agents read this file at every cycle. -->
"""


def default_team(meta_types: list[str]) -> str:
    lines = [
        "# The default team: every meta-daemon installed when `kin init` ran.",
        "# Run it with `kin default`; add [daemons.<name>] tables for your own workers.",
        "[team]",
        'name = "default"',
        'description = "Keeps the workspace tidy and mapped with the installed meta-daemons"',
        "",
    ]
    if not meta_types:
        lines.append("# No meta-daemon types were installed; see `kin plugins`.")
    for name in meta_types:
        lines += [f"[meta.{name}]", ""]
    return "\n".join(lines).rstrip() + "\n"


def shipped_teams(app: App) -> dict[str, tuple[Path, str]]:
    """Team files plugins ship: team name -> (file, plugin)."""
    found: dict[str, tuple[Path, str]] = {}
    for path, plugin in app.kernel.team_files:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        head = data.get("team", {})
        name = head.get("name", Path(path).stem) if isinstance(head, dict) else Path(path).stem
        found.setdefault(str(name), (Path(path), plugin))
    return found


def _team_text(app: App, team: str | None) -> tuple[str, str]:
    """``(file name, content)`` of the team file to write."""
    shipped = shipped_teams(app)
    if team is None:
        if DEFAULT_FROM not in shipped:
            return "default", default_team(list(app.kernel.meta_daemon_types))
        path, plugin = shipped[DEFAULT_FROM]
        text = _body(path)
        text = re.sub(r'(?m)^name = "[^"]*"$', 'name = "default"', text, count=1)
        intro = (f"# The default team: the {DEFAULT_FROM!r} team of the {plugin} plugin and every meta-daemon.\n"
                 "# Run it with `kin default`; change it freely, it is yours now.\n")
        extra = [f"\n[meta.{name}]\n" for name in app.kernel.meta_daemon_types
                 if not re.search(rf"(?m)^\[meta\.{re.escape(name)}\]", text)]
        return "default", intro + text + "".join(extra)
    if team not in shipped:
        known = ", ".join(sorted(shipped)) or "none (install the agents plugin: pip install shadeos-agents)"
        raise UsageError(f"no predefined team named {team!r}", hint=f"predefined teams: {known}")
    path, plugin = shipped[team]
    return team, (f"# The {team!r} team of the {plugin} plugin, copied here to be yours: change it freely\n"
                  f"# (this file wins over the plugin's; kin teams show {team} prints the result).\n" + _body(path))


def _body(path: Path) -> str:
    """A shipped team file without its opening comment (written for the plugin's copy, not the project's)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)


def _mission_name(text: str) -> str | None:
    try:
        head = tomllib.loads(text).get("team", {})
    except ValueError:
        return None
    mission = head.get("mission") if isinstance(head, dict) else None
    return mission if isinstance(mission, str) and mission else None


@click.command("init")
@click.option("--team", "team", default=None, metavar="NAME",
              help="Start from this predefined team (kin teams lists them: coding, literature-review, "
                   "book-writing, general…); writes teams/NAME.toml. Default: teams/default.toml from the "
                   "general team with every meta-daemon.")
@click.option("--mission", "mission", default=None, metavar="TEXT",
              help="Write TEXT into the mission file the team names (e.g. mission.md), if it does not exist yet.")
@click.option("--mission-file", "mission_file", default=None, metavar="PATH",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Copy PATH into the mission file the team names, if it does not exist yet.")
@click.pass_obj
def command(app: App, team: str | None, mission: str | None, mission_file: Path | None) -> None:
    """Create kin.toml, a team file, its mission file and .gitignore entries in the current directory.

    Safe to run again: existing files are kept, only missing .gitignore lines are added.
    """
    if mission is not None and mission_file is not None:
        raise UsageError("give --mission or --mission-file, not both")
    if mission is not None and not mission.strip():
        raise UsageError("--mission is empty", hint='e.g. kin init --mission "A command-line todo list in Python"')
    root = Path(app.cwd or ".").resolve()
    done: list[str] = []
    if not (root / "kin.toml").exists():
        atomic_write_text(root / "kin.toml", KIN_TOML)
        done.append("created kin.toml")
    name, text = _team_text(app, team)
    team_file = root / "teams" / f"{name}.toml"
    if team_file.exists():
        text = team_file.read_text(encoding="utf-8", errors="replace")
        if team is not None or mission is not None or mission_file is not None:
            done.append(f"kept teams/{name}.toml (it exists)")
    else:
        team_file.parent.mkdir(exist_ok=True)
        atomic_write_text(team_file, text)
        done.append(f"created teams/{name}.toml")
    mission_name = _mission_name(text)
    if mission_name:
        target = app.kernel.workspace.inside(mission_name, base=root, what="mission file")
        if target.exists():
            if mission is not None or mission_file is not None:
                done.append(f"kept {mission_name} (it exists; not overwritten)")
        else:
            body = mission.strip() + "\n" if mission is not None else (
                mission_file.read_text(encoding="utf-8") if mission_file is not None else MISSION)
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(target, body)
            done.append(f"created {mission_name}" + ("" if mission or mission_file else " (write the mission in it)"))
    elif mission is not None or mission_file is not None:
        raise UsageError(f"teams/{name}.toml names no mission file", hint='add mission = "mission.md" to its [team]')
    gitignore = root / ".gitignore"
    current = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    missing = [line for line in IGNORED if line not in current.splitlines()]
    if missing:
        prefix = current if not current or current.endswith("\n") else current + "\n"
        atomic_write_text(gitignore, prefix + "\n".join(missing) + "\n")
        done.append(f"added {', '.join(missing)} to .gitignore")
    for line in done or ["already initialised: nothing to do"]:
        click.echo(line)
    for path in sorted((root / "teams").glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            click.echo(f"note: teams/{path.name} is not valid TOML: kin check reports it (fix it, or move it out of "
                       "teams/)")
            continue
        if not is_team_file(data):
            click.echo(f"note: teams/{path.name} is not a team file (no [team], [daemons], [meta] or [phases] "
                       "table): kin leaves it alone")
    if any(line.startswith("created teams/") for line in done):
        click.echo(f"run it with: kin {name}" + ("" if "[daemons." not in text else
                                                  "  (agents need a model: kin models shows the choice)"))
