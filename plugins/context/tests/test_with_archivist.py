"""End to end with the real archivist, when it is installed: persistence lands in its journal, enrichment finds it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shadeos_context import MidTermContext
from shadeos_context.archive import Archive
from shadeos_core import Kernel


@pytest.fixture
def real_kernel(project: Path) -> Kernel:
    kernel = Kernel.load(project)
    if not Archive(kernel, kernel.workspace).available:
        pytest.skip("the archivist (shadeos-archivist) is not installed or does not implement the archive hooks")
    return kernel


def test_persisted_context_is_found_by_enrichment_and_a_new_memory_invalidates(project: Path, real_kernel) -> None:
    ctx = MidTermContext.open(project, kernel=real_kernel)
    ctx.store_context("team.parser", "task_states",
                      {"tokenizer": {"status": "completed", "stratum": "cognitive", "note": "quaternion lexer"}})
    assert ctx.check_persistence_triggers() == ["task_completion"]
    assert ctx.check_persistence_triggers() == []
    assert ctx.request_persistence() is False  # already archived

    result = ctx.enrich_context("team.parser", "task_states", "quaternion")
    assert result["archive"] == "ok" and result["cached"] is False
    assert len(result["memories"]) == 1
    memory = result["memories"][0]
    assert memory["namespace"] == "daemons/team.parser" and memory["stratum"] == "cognitive"
    assert "quaternion" in memory["content"]
    assert ctx.enrich_context("team.parser", "task_states", "quaternion")["cached"] is True

    real_kernel.hooks.call("memory_store", workspace=real_kernel.workspace, stratum="somatic",
                           content="the quaternion lexer needs unicode", namespace="global",
                           summary="quaternion unicode", keywords=None, metadata=None, author="tests")
    after = ctx.enrich_context("team.parser", "task_states", "quaternion")
    assert after["cached"] is False and len(after["memories"]) == 2


def test_kin_context_persist_with_the_real_archivist(project: Path, real_kernel, kin) -> None:
    kin("context", "set", "team.parser", "daemon_patterns", '{"style": "zeppelin"}', cwd=project, check=True)
    done = json.loads(kin("context", "persist", "--json", cwd=project, check=True).stdout)
    assert len(done) == 1
    enriched = json.loads(kin("context", "enrich", "team.parser", "daemon_patterns", "zeppelin", "--json",
                              cwd=project, check=True).stdout)
    assert [m["id"] for m in enriched["memories"]] == [done[0]["memory_id"]]


def test_the_kernel_is_loaded_on_first_need(project: Path, real_kernel) -> None:
    ctx = MidTermContext.open(project)  # no kernel given: persistence loads one
    ctx.store_context("team.parser", "performance_metrics", {"cycles": 3})
    assert ctx.request_persistence() is True
    assert ctx.request_persistence() is False
