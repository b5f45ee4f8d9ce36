"""``kin context``: read, write, list, enrich and persist the mid-term context from the command line."""
from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

import rich_click as click

from shadeos_core.cli.output import err, print_json, print_table
from shadeos_core.durations import format_duration, parse_duration
from shadeos_core.errors import KinError, UsageError
from shadeos_core.fsio import loads_json

if TYPE_CHECKING:
    from shadeos_core.cli.app import App

    from .context import MidTermContext

__all__ = ["context"]


def _open(app: App) -> MidTermContext:
    from .context import MidTermContext

    kernel = app.kernel
    return MidTermContext.open(kernel.workspace, kernel=kernel)


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


@click.group("context")
def context() -> None:
    """The mid-term context: fast working memory each daemon keeps per context type, with a TTL.

    Entries live in .kin/context/<daemon>/<type>.json; the [meta.context]
    meta-daemon expires them and persists them into the archive.
    """


@context.command("get")
@click.argument("daemon")
@click.argument("context_type", metavar="TYPE")
@click.option("--json", "as_json", is_flag=True, help="Print the whole entry: data, stored_at, expires_at, ttl.")
@click.pass_obj
def get(app: App, daemon: str, context_type: str, as_json: bool) -> None:
    """Print the context TYPE of DAEMON (exit 1 when absent or expired)."""
    entry = _open(app).entry(daemon, context_type)
    if entry is None:
        raise KinError(f"no context {context_type!r} for daemon {daemon!r} (absent or expired)",
                       hint="kin context list shows what is stored")
    if as_json:
        print_json({**entry.to_json(), "stored_at_iso": _when(entry.stored_at), "expires_at_iso": _when(entry.expires_at)})
    else:
        print_json(entry.data)


@context.command("set")
@click.argument("daemon")
@click.argument("context_type", metavar="TYPE")
@click.argument("value", metavar="JSON|-")
@click.option("--ttl", default=None, metavar="DURATION", help='Time to live, e.g. "90s", "10m", "2h" (default: the type\'s TTL).')
@click.pass_obj
def set_(app: App, daemon: str, context_type: str, value: str, ttl: str | None) -> None:
    """Store a JSON object as the context TYPE of DAEMON; `-` reads it from stdin."""
    text = sys.stdin.read() if value == "-" else value
    try:
        data = loads_json(text)
    except ValueError as exc:
        source = "stdin" if value == "-" else "the JSON argument"
        raise UsageError(f"{source} is not valid JSON: {exc}", hint='quote it for the shell, e.g. \'{"step": 3}\'') from None
    seconds = parse_duration(ttl, where="--ttl") if ttl is not None else None
    if seconds is not None and seconds <= 0:
        raise UsageError("--ttl must be positive", hint='e.g. --ttl 10m')
    ctx = _open(app)
    ctx.store_context(daemon, context_type, data, ttl=seconds)
    entry = ctx.store.read(daemon, context_type)
    expires = f", expires in {format_duration(entry.expires_at - time.time())}" if entry else ""
    click.echo(f"stored {daemon}/{context_type}{expires}")


@context.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array: daemon_id, context_type, bytes, stored_at, expires_at, persisted.")
@click.pass_obj
def list_(app: App, as_json: bool) -> None:
    """List the live entries: daemon, type, size, age, time left, whether the archive has this version."""
    from .persistence import digest

    ctx = _open(app)
    persisted = ctx.persistence.record()["persisted"]
    now = time.time()
    rows: list[dict[str, Any]] = []
    for entry in ctx.entries():
        seen = persisted.get(f"{entry.daemon_id}/{entry.context_type}")
        rows.append({"daemon_id": entry.daemon_id, "context_type": entry.context_type,
                     "bytes": len(json.dumps(entry.data, ensure_ascii=False).encode("utf-8")),
                     "stored_at": entry.stored_at, "expires_at": entry.expires_at, "ttl": entry.ttl,
                     "persisted": isinstance(seen, dict) and seen.get("digest") == digest(entry)})
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(f"no mid-term context in {ctx.workspace.root}")
        return
    print_table(["daemon", "type", "bytes", "age", "expires in", "archived"],
                [(r["daemon_id"], r["context_type"], r["bytes"], format_duration(now - r["stored_at"]),
                  format_duration(max(0.0, r["expires_at"] - now)), "yes" if r["persisted"] else "no") for r in rows])


@context.command("enrich")
@click.argument("daemon")
@click.argument("context_type", metavar="TYPE")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result: context, memories, archive status.")
@click.pass_obj
def enrich(app: App, daemon: str, context_type: str, query: str, as_json: bool) -> None:
    """Print the context TYPE of DAEMON with the archived memories most relevant to QUERY."""
    result = _open(app).enrich_context(daemon, context_type, query)
    if result["archive"] != "ok":
        err(f"kin: warning: {result['archive']}")
    if as_json:
        print_json(result)
        return
    click.echo(json.dumps(result["context"], indent=2, ensure_ascii=False) if result["context"] is not None
               else f"(no context {context_type!r} for {daemon!r})")
    if result["memories"]:
        print_table(["score", "id", "stratum", "namespace", "summary"],
                    [(f"{m.get('score', 0):.3g}" if isinstance(m.get("score"), (int, float)) else m.get("score"),
                      m.get("id"), m.get("stratum"), m.get("namespace"),
                      m.get("summary") or str(m.get("content", ""))[:60]) for m in result["memories"]])
    elif result["archive"] == "ok":
        click.echo("no archived memory matches")


@context.command("persist")
@click.option("--trigger", "trigger", default="explicit", show_default=True,
              type=click.Choice(["explicit", "periodic", "task_completion", "size_threshold"]),
              help="Which trigger's persistence to run now.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the archived entries.")
@click.pass_obj
def persist(app: App, trigger: str, as_json: bool) -> None:
    """Write the context not yet archived into the archive (stratum cognitive, namespace daemons/<id>)."""
    done = _open(app).persist(trigger)
    if as_json:
        print_json([{"daemon_id": p.daemon_id, "context_type": p.context_type, "memory_id": p.memory_id,
                     "trigger": p.trigger} for p in done])
        return
    if not done:
        click.echo("nothing new to persist")
    for p in done:
        click.echo(f"archived {p.daemon_id}/{p.context_type} as {p.memory_id}")
