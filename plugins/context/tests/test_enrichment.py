"""Enrichment: the stored context plus relevant archived memories, cached until either side changes."""
from __future__ import annotations

from pathlib import Path

from shadeos_context import MidTermContext


def remember(kernel, content: str, summary: str) -> str:
    return kernel.hooks.call("memory_store", workspace=kernel.workspace, stratum="cognitive", content=content,
                             namespace="global", summary=summary, keywords=None, metadata=None, author="tests")


def test_enrichment_returns_memories_and_is_cached(project: Path, stub_kernel, stub) -> None:
    ctx = MidTermContext.open(project, kernel=stub_kernel)
    first = remember(stub_kernel, "the parser chokes on tabs", "parser bug")
    remember(stub_kernel, "lunch is at noon", "lunch")
    ctx.store_context("t.a", "task_states", {"parse": {"status": "running"}})

    result = ctx.enrich_context("t.a", "task_states", "parser tabs")
    assert result["context"] == {"parse": {"status": "running"}}
    assert [m["id"] for m in result["memories"]] == [first]
    assert result["archive"] == "ok" and result["cached"] is False
    searches = stub.searches(ctx.workspace)

    again = ctx.enrich_context("t.a", "task_states", "parser tabs")
    assert again["cached"] is True and [m["id"] for m in again["memories"]] == [first]
    assert stub.searches(ctx.workspace) == searches  # served without asking the archive
    other_query = ctx.enrich_context("t.a", "task_states", "lunch")
    assert other_query["cached"] is False and other_query["memories"][0]["summary"] == "lunch"


def test_a_new_memory_invalidates_the_cache(project: Path, stub_kernel) -> None:
    ctx = MidTermContext.open(project, kernel=stub_kernel)
    remember(stub_kernel, "parser: use a state machine", "parser design")
    ctx.store_context("t.a", "task_states", {"parse": {"status": "running"}})
    assert len(ctx.enrich_context("t.a", "task_states", "parser")["memories"]) == 1
    newer = remember(stub_kernel, "parser: tabs expand to 4 spaces, parser tests pass", "parser tabs")
    result = ctx.enrich_context("t.a", "task_states", "parser")
    assert result["cached"] is False
    assert newer in [m["id"] for m in result["memories"]] and len(result["memories"]) == 2


def test_a_context_change_invalidates_the_cache(project: Path, stub_kernel) -> None:
    ctx = MidTermContext.open(project, kernel=stub_kernel)
    remember(stub_kernel, "parser notes", "parser")
    ctx.store_context("t.a", "task_states", {"step": 1})
    ctx.enrich_context("t.a", "task_states", "parser")
    writer = MidTermContext.open(project, kernel=stub_kernel)  # another instance, as another process would be
    writer.store_context("t.a", "task_states", {"step": 2})
    result = ctx.enrich_context("t.a", "task_states", "parser")
    assert result["cached"] is False and result["context"] == {"step": 2}


def test_enrichment_without_the_archivist_still_returns_the_context(project: Path, bare_kernel) -> None:
    ctx = MidTermContext.open(project, kernel=bare_kernel)
    ctx.store_context("t.a", "task_states", {"step": 1})
    result = ctx.enrich_context("t.a", "task_states", "anything")
    assert result["context"] == {"step": 1} and result["memories"] == []
    assert result["archive"] == "context enrichment needs the archivist: pip install shadeos-archivist"
