"""``kin map [--json] [--write] [PATH]``: measure the project and show, print or write its map."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import rich_click as click

from shadeos_core.cli.app import App
from shadeos_core.cli.output import console, err, print_json

__all__ = ["command", "PROGRESS_FROM"]

#: A cold scan shows a progress bar (on a terminal) when at least this many files need counting.
PROGRESS_FROM = 500
_STYLE = {"ok": "green", "long": "yellow", "too_long": "bold red", "error": "magenta"}


@click.command("map")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print an object: total_tokens, budget, ratio, phase, files[{path, tokens, level, size}], errors.")
@click.option("--write", is_flag=True,
              help="Also write the Markdown map ([map] output, default .kin/map.md) and .kin/state/phase.json.")
@click.pass_obj
def command(app: App, path: Path | None, as_json: bool, write: bool) -> None:
    """Measure every file of the project in tokens and show the tree with its levels and the phase.

    Files over [map] long (6000 tokens) are marked ⚠️, over too_long (12000) 🔴.
    PATH limits what is shown to a directory or file; totals and phase are
    always those of the whole project. Counts are cached in .kin/state/, so a
    second run costs a stat per file.
    """
    from shadeos_core.events import DaemonEvent

    from .publish import preview, publish
    from .scanner import MapScanner

    kernel = app.kernel
    scope = _scope(app, path)
    scanner = MapScanner.for_kernel(kernel)
    _progress_scan(scanner)
    if write:
        project_map, output = publish(scanner, emit=lambda data: kernel.emit(DaemonEvent("phase", data=data)))
    else:
        project_map, output = preview(scanner), None
    for failed in project_map.failed:
        err(f"kin: warning: {failed.path}: not counted: {failed.error}")
    if as_json:
        data = project_map.to_json()
        if scope is not None:
            data["scope"] = scope
            data["files"] = [f for f in data["files"] if f["path"] == scope or f["path"].startswith(scope + "/")]
        if output is not None:
            data["written"] = kernel.workspace.relative(output)
        print_json(data)
        return
    _print_tree(project_map, scope, scanner.config)
    if output is not None:
        click.echo(f"map written to {kernel.workspace.relative(output)}")


def _scope(app: App, path: Path | None) -> str | None:
    if path is None:
        return None
    workspace = app.kernel.workspace
    resolved = workspace.inside(path, base=Path.cwd(), what="PATH")
    if not resolved.exists():
        from shadeos_core.errors import UsageError

        raise UsageError(f"PATH {str(path)!r} does not exist", hint="give a file or directory of the project")
    rel = workspace.relative(resolved)
    return None if rel == "." else rel


def _progress_scan(scanner: Any) -> None:
    """Full scan, with a progress bar on stderr when it is a terminal and many files need counting."""
    if not sys.stderr.isatty():
        scanner.full_scan()
        return
    survey = scanner.survey()  # listed and stat-ed once, whether or not a bar is shown
    if len(survey.misses) < PROGRESS_FROM:
        scanner.full_scan(survey=survey)
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("counting tokens"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("count", total=None)

        def step(done: int, total: int) -> None:
            if done == 1 or done == total or done % 50 == 0:
                bar.update(task, completed=done, total=total)

        scanner.full_scan(progress=step, survey=survey)


def _print_tree(project_map: Any, scope: str | None, config: Any) -> None:
    from rich.markup import escape
    from rich.tree import Tree

    from shadeos_core.text import shown

    from .render import ktok, tree_rows

    out = console()
    files = project_map.files
    if scope is not None:
        files = [f for f in files if f.path == scope or f.path.startswith(scope + "/")]
    tree = Tree(f"[bold]{escape(scope or project_map.extra.get('root', '.'))}[/bold]")
    stack: list[Any] = [tree]
    for row in tree_rows(files):
        del stack[row.depth + 1:]
        if row.entry is None:
            stack.append(stack[-1].add(f"[bold]{escape(shown(row.name))}/[/bold] [dim]{ktok(row.tokens)}[/dim]"))
        else:
            e = row.entry
            size = ktok(e.tokens) if e.tokens is not None else f"not counted: {e.error}"
            stack[-1].add(f"{escape(shown(row.name))} [{_STYLE[e.level]}]{size} {e.marker}[/]")
    out.print(tree)
    long_n, too_n = len(project_map.with_level("long")), len(project_map.with_level("too_long"))
    out.print(f"{ktok(project_map.total_tokens)} tokens in {len(project_map.counted)} files · budget "
              f"{ktok(project_map.budget)} ({project_map.ratio:.0%}) · phase [bold]{project_map.phase.upper()}[/bold] · "
              f"{too_n} too long, {long_n} long" + (f", {len(project_map.failed)} not counted" if project_map.failed else ""))
    for f in project_map.with_level("too_long"):
        out.print(f"[bold red]🔴 {escape(f.path)}[/]: {ktok(f.tokens)} tokens; split it (limit {ktok(config.too_long)})")
