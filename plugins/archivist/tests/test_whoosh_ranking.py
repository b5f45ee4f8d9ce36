"""The Whoosh backend's own ranking against Whoosh's query machinery, on a real index with several segments."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from shadeos_archivist.whoosh_backend import WhooshBackend

WORDS = [f"w{i}" for i in range(40)]


def _doc(rng: random.Random, i: int) -> dict:
    # Skewed word choice: a few words are in most documents, as in real notes.
    text = " ".join(rng.choices(WORDS, weights=[1 / (r + 1) for r in range(len(WORDS))], k=rng.randint(3, 14)))
    return {"id": f"m{i:05d}", "namespace": f"daemons/d{i % 3}", "stratum": ("somatic", "cognitive")[i % 2],
            "content": text, "summary": "", "keywords": []}


@pytest.fixture
def index(tmp_path: Path) -> WhooshBackend:
    rng = random.Random(5)
    backend = WhooshBackend(tmp_path / "ix")
    docs = [_doc(rng, i) for i in range(900)]
    for start in range(0, 900, 150):  # several commits: several segments, and a checkpoint deleted in each
        backend.update(docs[start:start + 150], (), {"offset": start})
    backend.update([], [f"m{i:05d}" for i in range(0, 900, 7)], {"offset": 900})  # deletions in old segments
    yield backend
    backend.close()


def test_ranking_matches_whoosh_search(index: WhooshBackend) -> None:
    assert len(index._open(create=False)._segments()) > 1
    rng = random.Random(9)
    filters = [{}, {"namespace": "daemons/d1"}, {"strata": ["cognitive"]},
               {"strata": ["somatic", "cognitive"], "namespace": "daemons/d2"}, {"namespace": "nowhere"}]
    compared = 0
    for n in range(120):
        terms = list(dict.fromkeys(rng.sample(WORDS[:12], rng.randint(1, 3)) + (["absent"] if n % 17 == 0 else [])))
        kwargs = dict(filters[n % len(filters)], limit=(1, 10, 500)[n % 3])
        ours = index.search(terms, **kwargs)
        theirs = index.whoosh_search(terms, **kwargs)
        assert [i for i, _ in ours] == [i for i, _ in theirs], (terms, kwargs)
        assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], rel=1e-12)
        assert not any(int(i[1:]) % 7 == 0 for i, _ in ours)  # deleted documents never come back
        compared += len(ours)
    assert compared > 1000  # the comparison saw real result lists, not empty ones


def test_empty_and_missing(tmp_path: Path) -> None:
    backend = WhooshBackend(tmp_path / "ix")
    try:
        assert backend.search(["anything"]) == []
        backend.clear()  # a new generation with no commit yet, as at the start of a rebuild
        assert backend.search(["anything"]) == []
        backend.update([{"id": "m1", "namespace": "global", "stratum": "somatic", "content": "alpha beta",
                         "summary": "", "keywords": []}], (), {"offset": 1})
        assert [i for i, _ in backend.search(["alpha", "beta", "alpha"])] == ["m1"]
        assert backend.search(["alpha", "gamma"]) == []
    finally:
        backend.close()
