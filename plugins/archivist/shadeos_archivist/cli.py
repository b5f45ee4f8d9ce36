"""``kin memory …``: the command line over :class:`~shadeos_archivist.archivist.Archivist`."""
from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import rich_click as click

from shadeos_core.cli.output import console, print_json, print_table
from shadeos_core.errors import KinError
from shadeos_core.fsio import dumps_json

if TYPE_CHECKING:
    from shadeos_core.cli.app import App

    from .archivist import Archivist

__all__ = ["memory"]


def _open(app: App) -> Archivist:
    from .archivist import Archivist

    return Archivist.open(app.kernel.workspace, kernel=app.kernel)


def _short(text: str, width: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


@click.group("memory")
def memory() -> None:
    """The workspace's shared memory: add, search, link and forget memories.

    Memories live in `.kin/memory/journal.jsonl` (append-only, the truth) and an
    index rebuilt from it (`[archivist] backend = "whoosh" | "sqlite"` in kin.toml).
    Each has a stratum (somatic, cognitive, metaphysical by default) and a
    namespace (global, daemons/<id>, …).
    """


@memory.command("add")
@click.argument("text")
@click.option("--stratum", "-s", default=None, help="Stratum of the memory (default: [archivist] default_stratum, "
                                                      "else somatic).")
@click.option("--namespace", "-n", default="global", show_default=True, help="Namespace (subgraph) to store it in.")
@click.option("--summary", default=None, help="A one-line summary.")
@click.option("--keyword", "-k", "keywords", multiple=True, help="A keyword (repeatable).")
@click.option("--author", default=None, help="Who remembers this (a daemon id or a person).")
@click.option("--json", "as_json", is_flag=True, help="Print the stored memory as a JSON object.")
@click.pass_obj
def add(app: App, text: str, stratum: str | None, namespace: str, summary: str | None, keywords: tuple[str, ...],
        author: str | None, as_json: bool) -> None:
    """Store TEXT as a memory (`-` reads it from standard input) and print its id."""
    content = sys.stdin.read() if text == "-" else text
    with _open(app) as archive:
        memory_id = archive.store_memory(stratum or archive.settings.default_stratum, content, namespace=namespace,
                                         summary=summary, keywords=list(keywords), author=author)
        if as_json:
            print_json(archive.retrieve_memory(memory_id))
        else:
            click.echo(memory_id)


@memory.command("search")
@click.argument("query")
@click.option("--stratum", "-s", "strata", multiple=True, help="Only this stratum (repeatable: any of them).")
@click.option("--namespace", "-n", default=None, help="Only this namespace.")
@click.option("--limit", "-l", default=10, show_default=True, type=click.IntRange(min=1), help="At most this many.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array of objects: id, stratum, namespace, score, content, summary, created…")
@click.pass_obj
def search(app: App, query: str, strata: tuple[str, ...], namespace: str | None, limit: int, as_json: bool) -> None:
    """Find memories holding every word of QUERY (in content, summary or keywords), best first."""
    with _open(app) as archive:
        hits = archive.search(query, strata=list(strata) or None, namespace=namespace, limit=limit)
    if as_json:
        print_json(hits)
        return
    if not hits:
        click.echo("no memory matches")
        return
    print_table(["id", "stratum", "namespace", "score", "content"],
                [(h["id"], h["stratum"], h["namespace"], f"{h['score']:.2f}", _short(h["content"])) for h in hits])


@memory.command("show")
@click.argument("memory_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the memory and its links as a JSON object.")
@click.pass_obj
def show(app: App, memory_id: str, as_json: bool) -> None:
    """Print memory ID: every field, its neighbours in time and its links."""
    with _open(app) as archive:
        record = archive.retrieve_memory(memory_id)
        if record is None:
            raise KinError(f"no memory with id {memory_id!r}", hint="find ids with: kin memory search WORDS")
        record["links"] = archive.links(memory_id)
    if as_json:
        print_json(record)
        return
    out = console()
    for key in ("id", "namespace", "stratum", "created", "author", "summary", "previous", "next"):
        if record.get(key):
            out.print(f"[bold]{key}[/bold]: {record[key]}", markup=True)
    if record["keywords"]:
        out.print(f"[bold]keywords[/bold]: {', '.join(record['keywords'])}")
    if record["metadata"]:
        out.print(f"[bold]metadata[/bold]: {json.dumps(record['metadata'], ensure_ascii=False)}")
    for edge in record["links"]:
        other = edge["target"] if edge["direction"] == "out" else edge["source"]
        arrow = "->" if edge["direction"] == "out" else "<-"
        cross = " (cross-fractal)" if edge["cross_fractal"] else ""
        out.print(f"[bold]link[/bold]: {arrow} {other} {edge['type']}{cross}")
    click.echo("")
    click.echo(record["content"])


@memory.command("forget")
@click.argument("memory_id", metavar="ID")
@click.option("--keep-links", is_flag=True, help="Keep the edges to and from it (they then dangle).")
@click.pass_obj
def forget(app: App, memory_id: str, keep_links: bool) -> None:
    """Forget memory ID and every edge to or from it."""
    with _open(app) as archive:
        if not archive.forget_memory(memory_id, cleanup_links=not keep_links):
            raise KinError(f"no memory with id {memory_id!r}", hint="find ids with: kin memory search WORDS")
    click.echo(f"forgot {memory_id}")


@memory.command("link")
@click.argument("source", metavar="SRC")
@click.argument("target", metavar="DST")
@click.option("--type", "-t", "link_type", default="associative", show_default=True,
              help="associative, transcendence (toward the abstract), immanence (toward the concrete), or a custom name.")
@click.option("--json", "as_json", is_flag=True, help="Print the edge as a JSON object.")
@click.pass_obj
def link(app: App, source: str, target: str, link_type: str, as_json: bool) -> None:
    """Link memory SRC to memory DST with a typed edge (cross-namespace edges are marked cross-fractal)."""
    with _open(app) as archive:
        edge = archive.create_fractal_links(source, target, link_type)
    if as_json:
        print_json(edge)
    else:
        cross = " (cross-fractal)" if edge["cross_fractal"] else ""
        click.echo(f"{edge['source']} -[{edge['type']}]-> {edge['target']}{cross}")


@memory.command("links")
@click.argument("memory_id", metavar="ID")
@click.option("--direction", "-d", type=click.Choice(["out", "in", "both"]), default="both", show_default=True,
              help="Edges from ID (out), to ID (in), or both.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of edges.")
@click.pass_obj
def links(app: App, memory_id: str, direction: str, as_json: bool) -> None:
    """List the typed edges of memory ID."""
    with _open(app) as archive:
        edges = archive.links(memory_id, direction)
    if as_json:
        print_json(edges)
        return
    if not edges:
        click.echo(f"{memory_id} has no links")
        return
    print_table(["direction", "type", "source", "target", "cross-fractal"],
                [(e["direction"], e["type"], e["source"], e["target"], "yes" if e["cross_fractal"] else "")
                 for e in edges])


@memory.command("reindex")
@click.option("--json", "as_json", is_flag=True, help="Print {memories, seconds} as JSON instead of a progress bar.")
@click.pass_obj
def reindex(app: App, as_json: bool) -> None:
    """Delete the index and rebuild it from the journal, with a progress bar."""
    import time

    started = time.perf_counter()
    with _open(app) as archive:
        if as_json:
            count = archive.reindex()
        else:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TimeElapsedColumn,
            )

            with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console(stderr=True), transient=False) as bar:
                task = bar.add_task(f"indexing ({archive.settings.backend})", total=None)
                count = archive.reindex(lambda done, total: bar.update(task, completed=done, total=total))
    seconds = time.perf_counter() - started
    if as_json:
        print_json({"memories": count, "seconds": round(seconds, 3)})
    else:
        click.echo(f"indexed {count} memories in {seconds:.2f}s")


@memory.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as a JSON object.")
@click.pass_obj
def stats(app: App, as_json: bool) -> None:
    """How many memories per stratum and namespace, links, journal size and index state."""
    with _open(app) as archive:
        figures = archive.stats()
    if as_json:
        print_json(figures)
        return
    click.echo(f"{figures['memories']} memories, {figures['links']} links "
               f"({figures['cross_fractal_links']} cross-fractal), journal {figures['journal']['bytes']} bytes, "
               f"backend {figures['backend']} ({figures['indexed']} indexed)")
    print_table(["stratum", "memories"], list(figures["strata"].items()))
    print_table(["namespace", "memories"], sorted(figures["namespaces"].items()))


@memory.command("export")
@click.option("--namespace", "-n", default=None, help="Only this namespace.")
@click.pass_obj
def export(app: App, namespace: str | None) -> None:
    """Print every memory as JSON lines (journal order), each with its outgoing links."""
    with _open(app) as archive:
        write = sys.stdout.write
        for record in archive.export(namespace):
            write(dumps_json(record) + "\n")


@memory.command("optimize")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as a JSON object.")
@click.pass_obj
def optimize(app: App, as_json: bool) -> None:
    """Remove exact duplicates within a namespace, compact the journal and merge the index."""
    with _open(app) as archive:
        done = archive.optimize_memory()
    if as_json:
        print_json(done)
        return
    click.echo(f"removed {done['duplicates_removed']} duplicate(s), dropped {done['forgotten_dropped']} forgotten; "
               f"journal {done['journal_bytes_before']} -> {done['journal_bytes_after']} bytes; "
               f"{done['indexed']} memories indexed")

