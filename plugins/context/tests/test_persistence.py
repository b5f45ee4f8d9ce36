"""The four persistence triggers, each firing once and never archiving the same context twice."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shadeos_context import MidTermContext
from shadeos_core import KinError, UsageError
from shadeos_core.testing import wait_for


def archived(stub, ctx) -> list[tuple[str, str]]:
    return [(r["metadata"]["daemon_id"], r["metadata"]["context_type"]) for r in stub.records(ctx.workspace)]


def test_explicit_request_persists_once(project: Path, stub_kernel, stub) -> None:
    ctx = MidTermContext.open(project, kernel=stub_kernel)
    ctx.store_context("t.a", "task_states", {"step": 1})
    ctx.store_context("t.b", "daemon_patterns", {"likes": "small commits"})
    assert ctx.request_persistence("explicit") is True
    assert sorted(archived(stub, ctx)) == [("t.a", "task_states"), ("t.b", "daemon_patterns")]
    record = stub.records(ctx.workspace)[0]
    assert record["stratum"] == "cognitive" and record["namespace"] == f"daemons/{record['metadata']['daemon_id']}"
    assert record["metadata"]["trigger"] == "explicit" and record["author"] == "context"

    assert ctx.request_persistence("explicit") is False
    ctx.store_context("t.a", "task_states", {"step": 1})  # same data again: nothing new
    assert ctx.request_persistence() is False
    assert len(archived(stub, ctx)) == 2

    ctx.store_context("t.a", "task_states", {"step": 2})
    assert [(p.daemon_id, p.context_type) for p in ctx.persist()] == [("t.a", "task_states")]
    assert len(archived(stub, ctx)) == 3
    # What was persisted is on record, readable by people.
    record_file = json.loads((project / ".kin/context/.persistence.json").read_text())
    assert record_file["persisted"]["t.a/task_states"]["memory_id"] == stub.records(ctx.workspace)[-1]["id"]


def test_periodic_trigger_fires_once_per_period(project: Path, write, stub_kernel, stub) -> None:
    write("kin.toml", '[context]\npersist_every = "300ms"\n')
    ctx = MidTermContext.open(project, kernel=stub_kernel)
    ctx.store_context("t.a", "performance_metrics", {"cycles": 10})
    assert ctx.check_persistence_triggers() == []  # the first look starts the period
    assert archived(stub, ctx) == []
    wait_for(lambda: "periodic" in ctx.check_persistence_triggers())
    assert archived(stub, ctx) == [("t.a", "performance_metrics")]
    assert "periodic" not in ctx.check_persistence_triggers()  # not due again yet
    wait_for(lambda: "periodic" in ctx.check_persistence_triggers())  # next period: nothing new to archive
    assert archived(stub, ctx) == [("t.a", "performance_metrics")]


def test_task_completion_trigger_needs_a_non_somatic_stratum(project: Path, stub_kernel, stub) -> None:
    ctx = MidTermContext.open(project, kernel=stub_kernel)
    ctx.store_context("t.a", "task_states", {"parse": {"status": "running", "stratum": "cognitive"}})
    ctx.store_context("t.a", "recent_interactions", {"with": ["t.b"]})
    ctx.store_context("t.b", "task_states", {"lint": {"status": "completed", "stratum": "somatic"}})
    ctx.store_context("t.c", "task_states", {"task": "scan", "status": "completed"})  # no stratum: somatic
    assert ctx.check_persistence_triggers() == []
    assert archived(stub, ctx) == []

    ctx.store_context("t.a", "task_states", {"parse": {"status": "completed", "stratum": "cognitive"}})
    assert ctx.check_persistence_triggers() == ["task_completion"]
    # The completing daemon's context goes to the archive, nobody else's.
    assert sorted(archived(stub, ctx)) == [("t.a", "recent_interactions"), ("t.a", "task_states")]
    assert ctx.check_persistence_triggers() == []
    assert len(archived(stub, ctx)) == 2

    ctx.store_context("t.b", "task_states", {"task": "plan", "status": "completed", "stratum": "metaphysical"})
    assert ctx.check_persistence_triggers() == ["task_completion"]
    assert archived(stub, ctx)[-1] == ("t.b", "task_states")
    assert ctx.check_persistence_triggers() == []
    assert len(archived(stub, ctx)) == 3


def test_size_threshold_fires_when_crossed_and_rearms_below_it(project: Path, write, stub_kernel, stub) -> None:
    write("kin.toml", "[context]\nsize_threshold = 3\n")
    ctx = MidTermContext.open(project, kernel=stub_kernel)
    ctx.store_context("t.a", "daemon_patterns", {"n": 1})
    ctx.store_context("t.b", "daemon_patterns", {"n": 2})
    assert ctx.check_persistence_triggers() == []
    ctx.store_context("t.c", "daemon_patterns", {"n": 3})
    assert ctx.check_persistence_triggers() == ["size_threshold"]
    assert len(archived(stub, ctx)) == 3
    ctx.store_context("t.d", "daemon_patterns", {"n": 4})
    assert ctx.check_persistence_triggers() == []  # still over the threshold: it already fired
    assert len(archived(stub, ctx)) == 3

    ctx.store.remove("t.c", "daemon_patterns")
    ctx.store.remove("t.d", "daemon_patterns")
    assert ctx.check_persistence_triggers() == []  # below again: re-armed
    ctx.store_context("t.e", "daemon_patterns", {"n": 5})
    assert ctx.check_persistence_triggers() == ["size_threshold"]
    assert archived(stub, ctx)[3:] == [("t.e", "daemon_patterns")]  # t.a and t.b were archived already


def test_expired_entries_are_not_persisted(project: Path, stub_kernel, stub) -> None:
    ctx = MidTermContext.open(project, kernel=stub_kernel)
    ctx.store_context("t.a", "recent_interactions", {"x": 1}, ttl=0.2)
    wait_for(lambda: ctx.retrieve_context("t.a", "recent_interactions") is None)
    assert ctx.request_persistence() is False
    assert archived(stub, ctx) == []


def test_unknown_trigger_is_rejected(project: Path, stub_kernel) -> None:
    ctx = MidTermContext.open(project, kernel=stub_kernel)
    with pytest.raises(UsageError, match="unknown persistence trigger 'sometimes'"):
        ctx.request_persistence("sometimes")


def test_without_the_archivist_persistence_says_what_to_install(project: Path, bare_kernel) -> None:
    ctx = MidTermContext.open(project, kernel=bare_kernel)
    ctx.store_context("t.a", "task_states", {"parse": {"status": "completed", "stratum": "cognitive"}})
    with pytest.raises(KinError, match="needs the archivist: pip install shadeos-archivist"):
        ctx.request_persistence()
    assert ctx.check_persistence_triggers() == []
    assert ctx.retrieve_context("t.a", "task_states") is not None  # the rest of the context works
