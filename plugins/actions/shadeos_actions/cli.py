"""``kin actions`` (list, ``stats``, ``graph``, ``compact``, ``remember``) and ``kin insights``."""
from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any

import rich_click as click

from shadeos_core.cli.output import print_json, print_table
from shadeos_core.errors import UsageError

if TYPE_CHECKING:
    from shadeos_core.cli.app import App

    from .registry import ActionRegistry

__all__ = ["actions", "insights"]

_SINCE = "Only actions since then: a duration back from now (30m, 1h, 2d) or a time (2026-11-20T14:30, local unless it ends in Z)."


def _registry(app: App) -> ActionRegistry:
    from .registry import ActionRegistry

    return ActionRegistry(app.kernel.workspace, hooks=app.kernel.hooks)


def _moment(value: str | None, option: str) -> float | None:
    from .timespec import parse_moment

    return None if value is None else parse_moment(value, option=option)


def _when(epoch: float | None) -> str:
    return "" if epoch is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def _detail(data: dict[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        if isinstance(value, float):
            value = f"{value:.3g}"
        elif isinstance(value, (list, dict)):
            value = ",".join(map(str, value)) if isinstance(value, list) else "{…}"
        parts.append(f"{key}={value}")
    return " ".join(parts)[:120]


@click.group("actions", invoke_without_command=True)
@click.option("--daemon", "-d", default=None, metavar="NAME", help="Only this daemon (its name or team.name).")
@click.option("--kind", "-k", default=None, metavar="KIND", help="Only this kind: cycle, model_call, tool_call, edit, "
              "commit, command, message, task, conflict, restarted, phase… (any kind an event has).")
@click.option("--path", default=None, metavar="PATH", help="Only actions on this file, or on files under this directory.")
@click.option("--since", default=None, metavar="WHEN", help=_SINCE)
@click.option("--until", default=None, metavar="WHEN", help="Only actions before then (same forms as --since).")
@click.option("--limit", "-n", default=50, show_default=True, type=click.IntRange(min=0),
              help="Show the last N matching actions (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of records: time, daemon, team, kind, pid, data.")
@click.pass_context
def actions(ctx: click.Context, daemon: str | None, kind: str | None, path: str | None, since: str | None,
            until: str | None, limit: int, as_json: bool) -> None:
    """What the daemons did: every action recorded (cycles, model and tool calls, edits, commits, commands,
    messages, tasks, conflicts, restarts, phases…), oldest first.

    Records live in .kin/actions/ (one JSON line each); see also kin actions stats, kin actions graph and
    kin insights.
    """
    if ctx.invoked_subcommand is not None:
        return
    from .store import Query

    app: App = ctx.obj
    registry = _registry(app)
    query = Query(daemon=daemon, kind=kind, path=path, since=_moment(since, "--since"),
                  until=_moment(until, "--until"))
    matched = registry.store.read(query)
    records = list(deque(matched, maxlen=limit) if limit else matched)
    if as_json:
        print_json(records)
        return
    if not records:
        click.echo(f"no action recorded in {registry.directory}" + (" matches" if query != Query() else ""))
        return
    print_table(["time", "daemon", "kind", "detail"],
                [(_when(r["time"]), r["daemon"] or "(team)", r["kind"], _detail(r["data"])) for r in records])


@actions.command("stats")
@click.option("--since", default=None, metavar="WHEN", help=_SINCE + " Default: [actions] window (24h).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array: daemon, kind, count, p50, p95, "
              "input_tokens, output_tokens, failure_rate, share.")
@click.pass_obj
def stats(app: App, since: str | None, as_json: bool) -> None:
    """Performance per daemon and action kind: count, p50/p95 duration, tokens, failure rate, share of spend."""
    rows = _registry(app).analyse(_moment(since, "--since")).performance.rows()
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("no action recorded in this window")
        return

    def secs(v: float | None) -> str:
        if v is None:
            return ""
        return f"{v * 1e3:.3g} ms" if v < 1 else f"{v:.3g} s"

    print_table(["daemon", "kind", "count", "p50", "p95", "tokens in", "tokens out", "failed", "spend"],
                [(r["daemon"] or "(team)", r["kind"], r["count"], secs(r["p50"]), secs(r["p95"]), r["input_tokens"],
                  r["output_tokens"], f"{r['failure_rate']:.0%}", f"{r['share']:.0%}" if r["share"] else "")
                 for r in rows])


@actions.command("graph")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "json"]), default="mermaid", show_default=True,
              help="Mermaid (paste into Markdown), Graphviz DOT (dot -Tsvg), or JSON nodes and edges.")
@click.option("--since", default=None, metavar="WHEN", help=_SINCE + " Default: [actions] window (24h).")
@click.pass_obj
def graph(app: App, fmt: str, since: str | None) -> None:
    """Who works with whom: messages, task hand-offs, conflicts and files changed by more than one daemon."""
    found = _registry(app).analyse(_moment(since, "--since")).collaboration.graph()
    if fmt == "json":
        print_json({"nodes": found["nodes"], "edges": found["edges"]})
    else:
        click.echo(found[fmt], nl=False)


@actions.command("compact")
@click.option("--json", "as_json", is_flag=True, help="Print {compacted: [days], deleted: [days]}.")
@click.pass_obj
def compact_(app: App, as_json: bool) -> None:
    """Compact past days into one file each and delete days older than [actions] retention (the actions
    meta-daemon does it on each cycle)."""
    from .retention import compact

    registry = _registry(app)
    done = compact(registry.store, retention=registry.settings.retention)
    if as_json:
        print_json({"compacted": done.compacted, "deleted": done.deleted})
    else:
        click.echo(f"compacted {len(done.compacted)} day(s), deleted {len(done.deleted)} day(s)")


@actions.command("remember")
@click.option("--json", "as_json", is_flag=True, help="Print {stored: [{key, id, stratum}], skipped: N, linked: N}.")
@click.pass_obj
def remember(app: App, as_json: bool) -> None:
    """Store what the analysis learned into memory (needs the archivist): days that are over as somatic
    memories, patterns as cognitive ones, conventions as metaphysical ones. Never the same one twice."""
    from .strata import Strata

    registry = _registry(app)
    registry.require_workspace()
    strata = Strata(app.kernel.hooks, registry.workspace, registry.directory)
    if not strata.available:
        raise UsageError("no archivist: memories cannot be stored", hint="pip install shadeos-archivist")
    result = strata.sync(registry.store, registry.analyse().patterns.found())
    if as_json:
        print_json({"stored": result.stored, "skipped": result.skipped, "linked": result.linked})
    else:
        click.echo(f"stored {len(result.stored)} memories ({result.skipped} already stored), "
                   f"linked {result.linked} patterns to the days of their evidence")


@click.command("insights")
@click.option("--since", default=None, metavar="WHEN", help=_SINCE + " Default: [actions] window (24h).")
@click.option("--review", is_flag=True, help="Also ask the configured model ([agents] model or $KIN_MODEL) for a "
              "short written review of the same evidence.")
@click.option("--json", "as_json", is_flag=True, help="Print {insights: [{rule, title, evidence, change, daemons}], "
              "patterns: […], review: {…} or null}.")
@click.pass_obj
def insights(app: App, since: str | None, review: bool, as_json: bool) -> None:
    """Suggestions for the team file, each with its evidence and the change to make. Nothing is changed.

    Rules: longer-every (an agent idle most of its cycles), phase-off (idle in one phase), split-files (two
    daemons colliding on a file), repeated-failure, drift (cycle time or tokens growing).
    """
    registry = _registry(app)
    report = registry.analyse(_moment(since, "--since")).report()
    written = None
    if review:
        written = registry.review(report)
        if written is None:
            raise UsageError("no model configured for a review",
                             hint="set [agents] model in kin.toml or $KIN_MODEL (kin models lists them)")
    if as_json:
        print_json({"insights": report["insights"], "patterns": report["patterns"], "review": written})
        return
    if not report["insights"]:
        click.echo(f"no suggestion: nothing in {report['records']} recorded actions calls for a change")
    for item in report["insights"]:
        click.echo(f"[{item['rule']}] {item['title']}")
        for line in item["evidence"]:
            click.echo(f"    evidence: {line}")
        click.echo(f"    change:   {item['change']}")
    if written is not None:
        click.echo(f"\nreview by {written.get('model')}:\n{written.get('text', '').strip()}")
