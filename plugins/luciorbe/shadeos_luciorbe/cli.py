"""``kin luciorbe list|clean`` and ``kin hooks install``: thin shells over the janitor and the hook installer."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import rich_click as click

from shadeos_core.cli.app import App
from shadeos_core.cli.output import print_json
from shadeos_core.durations import format_duration
from shadeos_core.text import shown

if TYPE_CHECKING:
    from shadeos_core.janitor import Cleanup

    from .janitor import LuciorbeJanitor

__all__ = ["luciorbe_group", "hooks_group"]

_STATE_STYLE = {"alive": "green", "stale": "yellow", "dead": "red", "malformed": "magenta", "foreign": "cyan"}
_WOULD = {"removed": "would remove", "quarantined": "would quarantine", "reported": "would report"}


def _janitor(app: App, path: Path | None, *, full: bool = True) -> LuciorbeJanitor:
    from .janitor import LuciorbeJanitor

    workspace = app.kernel.workspace
    under = workspace.inside(path, base=Path(app.cwd or Path.cwd()), what="PATH") if path is not None else None
    return LuciorbeJanitor(workspace, {"under": under, "full": full})


@click.group("luciorbe")
def luciorbe_group() -> None:
    """Luciorbes: the .luciorbe.<daemon> heartbeat files daemons leave where they work.

    Each one is alive, stale (owner silent too long), dead (owner gone),
    malformed (unreadable) or foreign (another user's, a symlink: never touched).
    """


@luciorbe_group.command("list")
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array of objects: path, daemon_id, state, last_update, task, status, age_s…")
@click.pass_obj
def list_command(app: App, path: Path | None, as_json: bool) -> None:
    """List every luciorbe in the workspace (or under PATH) with its state; changes nothing.

    Finds the luciorbes daemons recorded under .kin/run/ and walks the tree for the others
    (never following symlinks, never leaving the file system, skipping .git/).
    """
    cleanups = _janitor(app, path).scan()
    if as_json:
        print_json([c.to_json() for c in cleanups])
        return
    if not cleanups:
        click.echo("no luciorbes" + (f" under {path}" if path else " in the workspace"))
        return
    _print_luciorbes(sorted(cleanups, key=lambda c: c.path))
    counts = Counter(c.state for c in cleanups)
    click.echo(", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
               + "  (details: kin luciorbe list --json)")


def _print_luciorbes(cleanups: list[Cleanup]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from shadeos_core.cli.output import console, fit_columns

    table = Table(show_edge=False, header_style="bold")
    rows = []
    for c in cleanups:
        d = c.data
        age = format_duration(d["age_s"]) if d.get("age_s") is not None and d["age_s"] >= 0 else ""
        style = _STATE_STYLE.get(c.state, "")
        rows.append((escape(shown(c.path)), escape(shown(d.get("daemon_id") or "")), escape(shown(d.get("task") or "")),
                     escape(shown(d.get("status") or "")), escape(shown(d.get("progress") or "")), age,
                     f"[{style}]{c.state}[/{style}]"))
    fit_columns(table, ["path", "daemon", "task", "status", "progress", "age", "state"], rows)
    for row in rows:
        table.add_row(*row)
    console().print(table)


@luciorbe_group.command("clean")
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--dry-run", is_flag=True, help="Change nothing; print what would be done.")
@click.option("--hard", is_flag=True,
              help="Delete stale and malformed luciorbes instead of quarantining them (never alive or foreign ones).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of what was (or would be) done.")
@click.pass_obj
def clean_command(app: App, path: Path | None, dry_run: bool, hard: bool, as_json: bool) -> None:
    """Remove dead luciorbes, quarantine stale and malformed ones, leave alive and foreign ones alone.

    Quarantined files go to .kin/quarantine/luciorbes/ with their original path and are deleted
    after [luciorbe] quarantine_expiry (kin.toml, default 7d). Without PATH, records of dead daemons
    and expired quarantine items are deleted too.
    """
    done = _janitor(app, path).clean(dry_run=dry_run, hard=hard)
    if as_json:
        print_json([c.to_json() for c in done])
        return
    acted = [c for c in done if c.action != "none"]
    for c in acted:
        verb = _WOULD.get(c.action, c.action) if dry_run else c.action
        where = f" -> {shown(c.data['quarantined_to'])}" if c.data.get("quarantined_to") else ""
        click.echo(f"{verb:<16} {shown(c.path)}{where}  ({c.state}: {shown(c.detail)})")
    for c in done:
        if c.action == "none" and c.state != "alive":
            click.echo(f"{'left alone':<16} {shown(c.path)}  ({c.state}: {shown(c.detail)})")
    counts = Counter(c.action for c in acted)
    alive = sum(1 for c in done if c.state == "alive")
    summary = ", ".join(f"{n} {(_WOULD.get(a, a) if dry_run else a)}" for a, n in sorted(counts.items()))
    prefix = "dry run, nothing changed: " if dry_run else ""
    click.echo(f"{prefix}{summary or 'nothing to clean'}; {alive} alive left alone")


@click.group("hooks")
def hooks_group() -> None:
    """Git hooks that run `kin check` on what a commit brings (and refuse committed luciorbes)."""


@hooks_group.command("install")
@click.option("--force", is_flag=True, help="Replace a different existing pre-commit hook (kept as pre-commit.kin-backup).")
@click.option("--json", "as_json", is_flag=True,
              help="Print an object: path, outcome (created, unchanged, updated, replaced), backup.")
@click.pass_obj
def install_command(app: App, force: bool, as_json: bool) -> None:
    """Install a git pre-commit hook that runs `kin check --staged` in this repository.

    Each commit is checked for what it brings: the files staged for it, plus what is
    checked across the project every time (a luciorbe tracked anywhere, team files).
    A file committed earlier does not block later commits; `kin check --all` checks
    every file. Checks read the staged files as they are in the work tree.

    Refuses to overwrite a different existing hook unless --force; a hook an earlier
    kin installed is updated. Honours core.hooksPath. Users of the pre-commit framework
    can add hook id `kin-check` from kin's repository instead.
    """
    from .githooks import install_hook

    result = install_hook(app.cwd or Path.cwd(), force=force)
    if as_json:
        print_json({"path": str(result.path), "outcome": result.outcome,
                    "backup": str(result.backup) if result.backup else None})
        return
    if result.outcome == "unchanged":
        click.echo(f"kin's pre-commit hook is already installed at {result.path}")
    elif result.outcome == "updated":
        click.echo(f"updated kin's pre-commit hook at {result.path} (it now checks the staged files only)")
    elif result.outcome == "replaced":
        click.echo(f"replaced the pre-commit hook at {result.path} (the old one is kept as {result.backup})")
    else:
        click.echo(f"installed kin's pre-commit hook at {result.path}")
