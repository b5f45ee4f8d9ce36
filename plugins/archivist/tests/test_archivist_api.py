"""The archive through its Python API, on every backend: fields, time chains, filters, links, forgetting."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shadeos_archivist.archivist import Archivist
from shadeos_core.errors import ConfigError, KinError, UsageError


def test_every_field_round_trips(archive: Archivist, project: Path) -> None:
    memory_id = archive.store_memory(
        "cognitive", "Plan: split the parser into a lexer and a grammar.\nSecond line, accents: été.",
        namespace="daemons/planner", summary="split the parser", keywords=["parser", "design"],
        metadata={"file": "src/parser.py", "confidence": 0.8, "tags": ["a", "b"]}, author="coding.planner")
    expected = {"id": memory_id, "namespace": "daemons/planner", "stratum": "cognitive",
                "content": "Plan: split the parser into a lexer and a grammar.\nSecond line, accents: été.",
                "summary": "split the parser", "keywords": ["parser", "design"],
                "metadata": {"file": "src/parser.py", "confidence": 0.8, "tags": ["a", "b"]},
                "author": "coding.planner", "previous": None, "next": None}
    got = archive.retrieve_memory(memory_id)
    assert got is not None and got.pop("created").endswith("Z")
    assert got == expected
    # A fresh process-level reader (a new Archivist replaying the journal) sees the same record.
    again = Archivist.open(project).retrieve_memory(memory_id)
    assert again is not None and {k: v for k, v in again.items() if k != "created"} == expected
    hit = archive.search("lexer grammar")[0]
    assert hit["id"] == memory_id and hit["score"] > 0 and hit["summary"] == "split the parser"
    assert archive.retrieve_memory("m-unknown") is None


def test_time_chain_per_namespace(archive: Archivist) -> None:
    a1 = archive.store_memory("somatic", "first in a", namespace="daemons/a")
    b1 = archive.store_memory("somatic", "first in b", namespace="daemons/b")
    a2 = archive.store_memory("somatic", "second in a", namespace="daemons/a")
    a3 = archive.store_memory("somatic", "third in a", namespace="daemons/a")
    chain = {m: archive.retrieve_memory(m) for m in (a1, a2, a3, b1)}
    assert (chain[a1]["previous"], chain[a1]["next"]) == (None, a2)
    assert (chain[a2]["previous"], chain[a2]["next"]) == (a1, a3)
    assert (chain[a3]["previous"], chain[a3]["next"]) == (a2, None)
    assert (chain[b1]["previous"], chain[b1]["next"]) == (None, None)
    assert archive.forget_memory(a2)
    assert archive.retrieve_memory(a1)["next"] == a3
    assert archive.retrieve_memory(a3)["previous"] == a1
    a4 = archive.store_memory("somatic", "fourth in a", namespace="daemons/a")
    assert archive.retrieve_memory(a4)["previous"] == a3


def test_strata_and_namespace_filters(archive: Archivist) -> None:
    fact = archive.store_memory("somatic", "the cache misses on cold start", namespace="global")
    plan = archive.store_memory("cognitive", "warm the cache before start", namespace="daemons/perf")
    rule = archive.store_memory("metaphysical", "a cache is a promise about the future", namespace="daemons/perf")
    ids = lambda hits: {h["id"] for h in hits}  # noqa: E731
    assert ids(archive.search("cache")) == {fact, plan, rule}
    assert ids(archive.search("cache", strata="somatic")) == {fact}
    assert ids(archive.search("cache", strata=["cognitive", "metaphysical"])) == {plan, rule}
    assert ids(archive.search("cache", namespace="daemons/perf")) == {plan, rule}
    assert ids(archive.search("cache", namespace="daemons/perf", strata=["metaphysical"])) == {rule}
    assert ids(archive.search("cache", namespace="global", strata=["metaphysical"])) == set()
    assert ids(archive.search("cache start")) == {fact, plan}  # every word must be there
    assert ids(archive.search("CACHE Promise")) == {rule}
    assert len(archive.search("cache", limit=2)) == 2
    for hit in archive.search("cache"):
        assert {"id", "stratum", "namespace", "score", "content", "summary", "created"} <= set(hit)


def test_keywords_and_summary_are_searchable(archive: Archivist) -> None:
    memory_id = archive.store_memory("somatic", "body text", summary="headline words", keywords=["zeppelin"])
    assert [h["id"] for h in archive.search("zeppelin")] == [memory_id]
    assert [h["id"] for h in archive.search("headline")] == [memory_id]


def test_links_both_directions_cross_fractal_and_forget(archive: Archivist) -> None:
    fact = archive.store_memory("somatic", "test_parse fails on empty input", namespace="daemons/tester")
    plan = archive.store_memory("cognitive", "guard the parser against empty input", namespace="daemons/tester")
    rule = archive.store_memory("metaphysical", "validate at the boundary", namespace="global")
    up = archive.create_fractal_links(fact, plan, "transcendence")
    across = archive.create_fractal_links(plan, rule, "transcendence", metadata={"why": "generalises"})
    down = archive.create_fractal_links(rule, fact, "immanence")
    custom = archive.create_fractal_links(fact, rule, "contradicts")
    assert up["cross_fractal"] is False and across["cross_fractal"] is True and down["cross_fractal"] is True
    assert custom["type"] == "contradicts" and across["metadata"] == {"why": "generalises"}
    assert archive.create_fractal_links(fact, plan, "transcendence") == up  # idempotent

    out = archive.links(plan, direction="out")
    assert [(e["source"], e["target"], e["type"]) for e in out] == [(plan, rule, "transcendence")]
    inbound = archive.links(plan, direction="in")
    assert [(e["source"], e["target"], e["type"]) for e in inbound] == [(fact, plan, "transcendence")]
    assert {(e["direction"], e["type"]) for e in archive.links(fact)} == {
        ("out", "transcendence"), ("in", "immanence"), ("out", "contradicts")}

    assert archive.forget_memory(rule)
    assert archive.links(plan) == [e for e in archive.links(plan) if rule not in (e["source"], e["target"])]
    assert {(e["source"], e["target"]) for e in archive.links(plan)} == {(fact, plan)}
    assert {(e["source"], e["target"]) for e in archive.links(fact)} == {(fact, plan)}
    every_edge = [e for m in (fact, plan) for e in archive.links(m)]
    assert all(not e["dangling"] for e in every_edge)
    assert not archive.forget_memory(rule)  # already forgotten
    assert archive.search("boundary") == []
    with pytest.raises(KinError, match="no memory with id"):
        archive.links(rule)
    with pytest.raises(KinError, match="no memory with id"):
        archive.create_fractal_links(fact, rule)


def test_forget_can_keep_links_which_then_dangle(archive: Archivist) -> None:
    a = archive.store_memory("somatic", "alpha")
    b = archive.store_memory("somatic", "beta")
    archive.create_fractal_links(a, b)
    archive.forget_memory(b, cleanup_links=False)
    [edge] = archive.links(a)
    assert edge["target"] == b and edge["dangling"] is True


def test_bad_inputs_give_one_clear_error_each(archive: Archivist) -> None:
    with pytest.raises(UsageError, match=r"unknown stratum 'emotional'.*somatic, cognitive, metaphysical"):
        archive.store_memory("emotional", "text")
    with pytest.raises(UsageError, match="memory content is empty"):
        archive.store_memory("somatic", "   \n")
    for namespace in ("daemons/../etc", "../outside", "/abs", "a//b", ".hidden"):
        with pytest.raises(UsageError, match="invalid namespace"):
            archive.store_memory("somatic", "text", namespace=namespace)
    with pytest.raises(UsageError, match="unknown stratum"):
        archive.search("text", strata=["nope"])
    with pytest.raises(UsageError, match="no words"):
        archive.search("  ?! ")
    with pytest.raises(UsageError, match="invalid link type"):
        archive.create_fractal_links("a", "b", "no spaces allowed")
    assert archive.stats()["memories"] == 0  # nothing partial was written
    assert not any(line for line in archive.journal.path.read_text().splitlines()[1:]) \
        if archive.journal.path.exists() else True


def test_configured_strata_vocabulary(project: Path, backend: str, configure) -> None:
    configure(project, backend, 'strata = ["fact", "idea"]\n')
    archive = Archivist.open(project)
    memory_id = archive.store_memory("idea", "rotate logs weekly")
    assert archive.search("rotate", strata="idea")[0]["id"] == memory_id
    with pytest.raises(UsageError, match="use one of fact, idea"):
        archive.store_memory("somatic", "x")
    archive.close()


def test_config_errors_name_the_key(project: Path) -> None:
    (project / "kin.toml").write_text('[archivist]\nbackend = "whoosh"\ndurabilty = "batch"\n')
    with pytest.raises(ConfigError, match=r"\[archivist\] durabilty: unknown key.*did you mean 'durability'"):
        Archivist.open(project)
    (project / "kin.toml").write_text('[archivist]\nbackend = "elastic"\n')
    with pytest.raises(KinError, match="unknown memory backend 'elastic'.*known: .*sqlite.*whoosh"):
        Archivist.open(project)


def test_deleting_the_index_and_reindexing_gives_the_same_results(archive: Archivist, project: Path) -> None:
    words = ["river", "stone", "cloud", "ember", "glass"]
    for i in range(60):
        archive.store_memory(("somatic", "cognitive")[i % 2], f"{words[i % 5]} {words[(i * 3) % 5]} note {i}",
                             namespace=f"daemons/d{i % 3}")
    a_forgotten = archive.search("river", limit=1)[0]["id"]
    archive.forget_memory(a_forgotten)
    queries = [("river", {}), ("stone cloud", {}), ("note", {"namespace": "daemons/d1"}),
               ("ember", {"strata": "cognitive"}), ("glass note", {"limit": 100})]
    # Ids and their order: scores may move a little, as an index that deleted a document still
    # counts it in its statistics until segments merge, while a rebuilt one never saw it.
    before = [[h["id"] for h in archive.search(q, **kw)] for q, kw in queries]
    archive.close()
    index_dir = project / ".kin" / "memory" / f"index-{archive.settings.backend}"
    assert index_dir.is_dir()
    shutil.rmtree(index_dir)
    fresh = Archivist.open(project)
    progress: list[tuple[int, int]] = []
    assert fresh.reindex(lambda done, total: progress.append((done, total))) == 59
    assert progress[-1] == (59, 59)
    after = [[h["id"] for h in fresh.search(q, **kw)] for q, kw in queries]
    assert after == before and all(after)
    assert a_forgotten not in {i for hits in after for i in hits}
    fresh.close()


def test_stored_memory_is_searchable_at_once_and_index_catches_up(archive: Archivist) -> None:
    first = archive.store_memory("somatic", "compass points north")
    assert [h["id"] for h in archive.search("compass")] == [first]
    assert archive.index.is_current()
    # Another process holds the index writer's lock: the new memory is still found (tail scan).
    from shadeos_archivist.locks import writer_lock

    with writer_lock(archive.index.lock_path, 1.0):
        second = archive.store_memory("somatic", "compass needle trembles")
        assert not archive.index.is_current()
        assert {h["id"] for h in archive.search("compass")} == {first, second}
        with pytest.raises(KinError, match="being written by another process"):
            archive.sync_index(timeout=0.05)
    assert archive.sync_index() == 1 and archive.index.is_current()
    assert archive.stats()["indexed"] == 2


def test_optimize_removes_duplicates_and_compacts(archive: Archivist, project: Path) -> None:
    keep = archive.store_memory("somatic", "same words", namespace="daemons/a")
    dup = archive.store_memory("somatic", "same words", namespace="daemons/a")
    other_ns = archive.store_memory("somatic", "same words", namespace="daemons/b")
    gone = archive.store_memory("somatic", "temporary thought", namespace="daemons/a")
    anchor = archive.store_memory("cognitive", "anchor", namespace="daemons/a")
    archive.create_fractal_links(anchor, dup, "immanence")
    archive.forget_memory(gone)
    archive.create_subgraph("idle")
    done = archive.optimize_memory()
    assert done["duplicates_removed"] == 1 and done["forgotten_dropped"] == 1
    assert done["journal_bytes_after"] < done["journal_bytes_before"]
    assert archive.retrieve_memory(dup) is None and archive.retrieve_memory(keep) is not None
    assert [(e["source"], e["target"], e["type"]) for e in archive.links(anchor)] == [(anchor, keep, "immanence")]
    assert {h["id"] for h in archive.search("same words")} == {keep, other_ns}
    assert archive.retrieve_memory(keep)["next"] == anchor
    reopened = Archivist.open(project)
    assert set(reopened.view.memories) == {keep, other_ns, anchor}
    assert "daemons/idle" in reopened.stats()["subgraphs"]
    lines = [json.loads(line) for line in archive.journal.path.read_text().splitlines()]
    assert lines[0]["op"] == "journal" and not any(r["op"] == "forget" for r in lines)


def test_another_archivist_sees_changes_and_revision_moves(archive: Archivist, project: Path) -> None:
    other = Archivist.open(project)
    revision = other.revision()
    memory_id = archive.store_memory("somatic", "shared between readers")
    assert other.revision() != revision
    assert other.retrieve_memory(memory_id)["content"] == "shared between readers"
    assert [h["id"] for h in other.search("readers")] == [memory_id]
    archive.optimize_memory()  # a new journal generation: the other reader replays it
    assert other.retrieve_memory(memory_id) is not None
    other.close()


def test_subgraph_and_store_many(archive: Archivist) -> None:
    namespace = archive.create_subgraph("coding.production")
    assert namespace == "daemons/coding.production"
    assert archive.create_subgraph("coding.production") == namespace
    with pytest.raises(UsageError):
        archive.create_subgraph("../x")
    ids = archive.store_many([{"stratum": "somatic", "content": f"bulk item {i}", "namespace": namespace}
                              for i in range(50)])
    assert len(set(ids)) == 50
    assert archive.retrieve_memory(ids[10])["previous"] == ids[9]
    assert len(archive.search("bulk item", namespace=namespace, limit=100)) == 50
    with pytest.raises(UsageError, match="empty"):
        archive.store_many([{"stratum": "somatic", "content": "ok"}, {"stratum": "somatic", "content": ""}])
    assert archive.stats()["memories"] == 50


def test_an_annotation_gives_a_memory_its_summary_and_keywords_and_search_finds_them(archive: Archivist,
                                                                                    project: Path) -> None:
    memory_id = archive.store_memory("somatic", "the lexer splits words on spaces", namespace="daemons/a")
    archive.sync_index()
    assert archive.search("tokenizer") == []
    assert archive.annotate_memory(memory_id, summary="Lexer splits on spaces", keywords=["tokenizer", "lexer"])
    # before the index catches up (its copy is stale) and after
    assert [h["id"] for h in archive.search("tokenizer")] == [memory_id]
    assert archive.search("tokenizer")[0]["summary"] == "Lexer splits on spaces"
    archive.sync_index()
    assert [h["id"] for h in archive.search("tokenizer")] == [memory_id]
    assert [h["id"] for h in archive.search("spaces")] == [memory_id]  # the content still counts, once
    other = Archivist.open(project)  # another process replays the annotation
    assert other.retrieve_memory(memory_id)["keywords"] == ["tokenizer", "lexer"]
    archive.optimize_memory()  # compaction keeps what the annotation said
    assert Archivist.open(project).retrieve_memory(memory_id)["summary"] == "Lexer splits on spaces"
    assert archive.annotate_memory("m-unknown", summary="x") is False
    with pytest.raises(UsageError, match="nothing to annotate"):
        archive.annotate_memory(memory_id)
