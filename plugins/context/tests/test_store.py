"""The mid-term context as daemons use it: round trips, TTLs, bad input, limits, configuration."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shadeos_context import DEFAULT_TTLS, MidTermContext
from shadeos_core import ConfigError, UsageError, Workspace
from shadeos_core.testing import wait_for


def test_round_trip_through_the_file_and_a_second_instance(project: Path) -> None:
    ctx = MidTermContext.open(project)
    data = {"step": 3, "files": ["a.py", "b.py"], "nested": {"ok": True, "ratio": 0.5, "none": None}, "é": "ü"}
    assert ctx.store_context("coding.production", "task_states", data) is True
    assert ctx.retrieve_context("coding.production", "task_states") == data

    on_disk = json.loads((project / ".kin/context/coding.production/task_states.json").read_text())
    assert on_disk["data"] == data and on_disk["daemon_id"] == "coding.production"
    assert on_disk["ttl"] == DEFAULT_TTLS["task_states"]

    other = MidTermContext.open(Workspace(project))
    assert other.retrieve_context("coding.production", "task_states") == data
    assert other.retrieve_context("coding.production", "daemon_patterns") is None
    assert other.retrieve_context("coding.validation", "task_states") is None


def test_open_from_a_path_inside_the_workspace(project: Path) -> None:
    (project / "src" / "deep").mkdir(parents=True)
    ctx = MidTermContext.open(project / "src" / "deep")
    assert ctx.workspace.root == project.resolve()


def test_retrieved_data_cannot_be_changed_under_later_reads(project: Path) -> None:
    ctx = MidTermContext.open(project)
    ctx.store_context("d", "recent_interactions", {"items": [1, 2]})
    got = ctx.retrieve_context("d", "recent_interactions")
    with pytest.raises(TypeError, match="read-only"):
        got["items"].append(3)
    assert ctx.retrieve_context("d", "recent_interactions") == {"items": [1, 2]}


def test_overwrite_is_seen_by_the_next_read(project: Path) -> None:
    ctx = MidTermContext.open(project)
    for i in range(50):
        ctx.store_context("d", "performance_metrics", {"n": i})
        assert ctx.retrieve_context("d", "performance_metrics") == {"n": i}


def test_ttl_expiry_then_expire_deletes_the_file(project: Path) -> None:
    ctx = MidTermContext.open(project)
    ctx.store_context("d", "recent_interactions", {"x": 1}, ttl=0.3)
    ctx.store_context("d", "daemon_patterns", {"y": 2})
    assert ctx.retrieve_context("d", "recent_interactions") == {"x": 1}
    wait_for(lambda: ctx.retrieve_context("d", "recent_interactions") is None)
    assert [(e.daemon_id, e.context_type) for e in ctx.entries()] == [("d", "daemon_patterns")]
    path = project / ".kin/context/d/recent_interactions.json"
    assert path.exists()  # reading never deletes
    removed = ctx.expire()
    assert [(e.daemon_id, e.context_type) for e in removed] == [("d", "recent_interactions")]
    assert not path.exists()
    assert ctx.retrieve_context("d", "daemon_patterns") == {"y": 2}


def test_default_ttls_and_kin_toml_overrides(project: Path, write) -> None:
    write("kin.toml", """
        [context]
        default_ttl = "5m"
        max_entry_bytes = 64
        [context.ttl]
        task_states = "30m"
        my_type = "90s"
    """)
    ctx = MidTermContext.open(project)
    for ctype, ttl in [("task_states", 1800.0), ("my_type", 90.0), ("unknown_type", 300.0),
                       ("daemon_patterns", DEFAULT_TTLS["daemon_patterns"])]:
        ctx.store_context("d", ctype, {"v": 1})
        assert ctx.entry("d", ctype).ttl == ttl
    with pytest.raises(UsageError, match="over the limit of 64 bytes"):
        ctx.store_context("d", "task_states", {"v": "x" * 100})
    assert ctx.retrieve_context("d", "task_states") == {"v": 1}


def test_bad_configuration_is_one_clear_error(project: Path, write) -> None:
    write("kin.toml", '[context]\npersist_every = "soon"\n')
    with pytest.raises(ConfigError, match="persist_every"):
        MidTermContext.open(project)
    write("kin.toml", '[context]\nsize_treshold = 3\n')
    with pytest.raises(ConfigError, match="unknown key"):
        MidTermContext.open(project)
    write("kin.toml", '[context.ttl]\n"../x" = "1m"\n')
    with pytest.raises(ConfigError, match="invalid context type"):
        MidTermContext.open(project)


@pytest.mark.parametrize("value, message", [
    ({"when": {1, 2}}, "not JSON: Object of type set"),
    ({"f": float("nan")}, "not JSON"),
    ({"obj": object()}, "not JSON"),
    ([1, 2], "must be a JSON object"),
    ("text", "must be a JSON object"),
])
def test_non_json_values_are_rejected_and_nothing_is_written(project: Path, value, message) -> None:
    ctx = MidTermContext.open(project)
    ctx.store_context("d", "task_states", {"before": True})
    with pytest.raises(UsageError, match=message) as info:
        ctx.store_context("d", "task_states", value)
    assert "context d/task_states" in str(info.value)
    assert ctx.retrieve_context("d", "task_states") == {"before": True}


@pytest.mark.parametrize("daemon, ctype", [("../evil", "task_states"), ("a/b", "task_states"),
                                           ("..", "task_states"), ("d", "../../x"), (".hidden", "t"), ("", "t")])
def test_unsafe_names_are_rejected(project: Path, daemon: str, ctype: str) -> None:
    ctx = MidTermContext.open(project)
    with pytest.raises(UsageError, match="invalid (daemon id|context type)"):
        ctx.store_context(daemon, ctype, {"x": 1})
    with pytest.raises(UsageError, match="invalid (daemon id|context type)"):
        ctx.retrieve_context(daemon, ctype)
    assert not (project.parent / "evil").exists() and not (project / ".kin/x.json").exists()


def test_bad_ttl_is_rejected(project: Path) -> None:
    ctx = MidTermContext.open(project)
    with pytest.raises(UsageError, match="ttl must be a positive"):
        ctx.store_context("d", "t", {"x": 1}, ttl=0)


def test_malformed_file_reads_as_absent(project: Path) -> None:
    ctx = MidTermContext.open(project)
    ctx.store_context("d", "t", {"x": 1})
    (project / ".kin/context/d/t.json").write_text("{ not json")
    assert ctx.retrieve_context("d", "t") is None
    assert ctx.entries() == []
