"""``kin init``: scaffold a workspace without ever overwriting what the user wrote."""
from __future__ import annotations

from pathlib import Path

import rich_click as click

from ..fsio import atomic_write_text
from .app import App

KIN_TOML = """\
# kin workspace configuration.
# Teams live in teams/*.toml (or here, as [teams.<name>] tables); plugins read
# their own tables ([map], [luciorbe], [archivist], [context] ...).
"""
IGNORED = (".kin/", ".luciorbe*")


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


@click.command("init")
@click.pass_obj
def command(app: App) -> None:
    """Create kin.toml, teams/default.toml and .gitignore entries in the current directory.

    Safe to run again: existing files are kept, only missing .gitignore lines are added.
    """
    root = Path(app.cwd or ".").resolve()
    done: list[str] = []
    if not (root / "kin.toml").exists():
        atomic_write_text(root / "kin.toml", KIN_TOML)
        done.append("created kin.toml")
    team_file = root / "teams" / "default.toml"
    if not team_file.exists():
        team_file.parent.mkdir(exist_ok=True)
        atomic_write_text(team_file, default_team(list(app.kernel.meta_daemon_types)))
        done.append("created teams/default.toml")
    gitignore = root / ".gitignore"
    current = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    missing = [line for line in IGNORED if line not in current.splitlines()]
    if missing:
        prefix = current if not current or current.endswith("\n") else current + "\n"
        atomic_write_text(gitignore, prefix + "\n".join(missing) + "\n")
        done.append(f"added {', '.join(missing)} to .gitignore")
    for line in done or ["already initialised: nothing to do"]:
        click.echo(line)
