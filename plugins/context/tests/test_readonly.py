"""A read hands out the cached value itself: no caller can change what the next read returns."""
from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from shadeos_context import MidTermContext, copy_json

VALUE = {"tasks": {"t1": {"status": "running", "files": ["a.py", {"deep": [1, 2]}]}}, "n": 3, "tags": ["x"]}

MUTATIONS = [
    lambda v: v.__setitem__("n", 4),
    lambda v: v.__delitem__("n"),
    lambda v: v.update(n=4),
    lambda v: v.setdefault("new", 1),
    lambda v: v.pop("n"),
    lambda v: v.popitem(),
    lambda v: v.clear(),
    lambda v: v.__ior__({"n": 4}),
    lambda v: v["tags"].append("y"),
    lambda v: v["tags"].extend(["y"]),
    lambda v: v["tags"].insert(0, "y"),
    lambda v: v["tags"].__setitem__(0, "y"),
    lambda v: v["tags"].__setitem__(slice(0, 1), ["y"]),
    lambda v: v["tags"].__delitem__(0),
    lambda v: v["tags"].pop(),
    lambda v: v["tags"].remove("x"),
    lambda v: v["tags"].clear(),
    lambda v: v["tags"].sort(),
    lambda v: v["tags"].reverse(),
    lambda v: v["tags"].__iadd__(["y"]),
    lambda v: v["tags"].__imul__(2),
    lambda v: v["tasks"]["t1"].__setitem__("status", "done"),
    lambda v: v["tasks"]["t1"]["files"][1]["deep"].append(3),
]


@pytest.mark.parametrize("mutate", MUTATIONS)
def test_no_change_reaches_the_cache(project: Path, mutate: Any) -> None:
    ctx = MidTermContext.open(project)
    ctx.store_context("coding.production", "task_states", VALUE)
    first = ctx.retrieve_context("coding.production", "task_states")
    with pytest.raises(TypeError, match="read-only"):
        mutate(first)
    again = ctx.retrieve_context("coding.production", "task_states")
    assert again == VALUE
    # a second process reading the file sees the same
    assert MidTermContext.open(project).retrieve_context("coding.production", "task_states") == VALUE


def test_a_read_only_value_works_as_json(project: Path) -> None:
    ctx = MidTermContext.open(project)
    ctx.store_context("d", "task_states", VALUE)
    got = ctx.retrieve_context("d", "task_states")
    assert isinstance(got, dict) and isinstance(got["tags"], list)
    assert got == VALUE and got["tasks"]["t1"]["files"][1] == {"deep": [1, 2]}
    assert json.loads(json.dumps(got)) == VALUE
    assert {**got, "n": 4}["n"] == 4 and (got | {"n": 5})["n"] == 5


@pytest.mark.parametrize("copier", [copy_json, copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))])
def test_a_copy_is_changeable_and_leaves_the_cache_alone(project: Path, copier: Any) -> None:
    ctx = MidTermContext.open(project)
    ctx.store_context("d", "task_states", VALUE)
    mine = copier(ctx.retrieve_context("d", "task_states"))
    mine["n"] = 99
    mine["tags"].append("y")
    mine["tasks"]["t1"]["files"][1]["deep"].append(3)
    assert type(mine) is dict and type(mine["tags"]) is list
    assert ctx.retrieve_context("d", "task_states") == VALUE


def test_a_shallow_copy_is_changeable_at_the_top(project: Path) -> None:
    ctx = MidTermContext.open(project)
    ctx.store_context("d", "task_states", VALUE)
    got = ctx.retrieve_context("d", "task_states")
    for mine in (dict(got), copy.copy(got)):
        mine["n"] = 99
        assert mine["n"] == 99
    assert ctx.retrieve_context("d", "task_states")["n"] == 3


def test_the_stored_value_stays_the_callers(project: Path) -> None:
    ctx = MidTermContext.open(project)
    mine = copy_json(VALUE)
    ctx.store_context("d", "task_states", mine)
    mine["tags"].append("later")
    assert ctx.retrieve_context("d", "task_states") == VALUE


def test_enriched_context_is_read_only_too(project: Path) -> None:
    ctx = MidTermContext.open(project)
    ctx.store_context("d", "task_states", VALUE)
    context = ctx.enrich_context("d", "task_states", "parser")["context"]
    with pytest.raises(TypeError):
        context["n"] = 4
    assert ctx.retrieve_context("d", "task_states") == VALUE
