"""Archivist: store latency, bulk import, search and reindex, each beside a baseline measured in this run.

- ``store_memory`` (fsync) beside a raw ``write`` + ``fsync`` of the same line;
- bulk import (journal + index) beside a naive loop of one Whoosh commit per document (on a sample),
  and beside the SQLite FTS5 backend;
- search p50/p99 at the full size on both backends, beside a linear scan of the records, and the
  Whoosh backend's ranking beside Whoosh's own query machinery on the same index;
- a full reindex of the Whoosh index, beside reading and decoding the journal.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
import warnings
from pathlib import Path

from common import percentile, report, summary, timeit

_SYLLABLES = ("ka ri to ne su mo la pe vi do gu ha ze bo ti ma ru sa le no fi ke da wo yu "
              "pa ro mi se ta").split()
# A vocabulary of 20,000 made-up words used with Zipf frequencies, like words in real notes.
_VOCAB_RNG = random.Random(3)
WORDS = sorted({"".join(_VOCAB_RNG.choices(_SYLLABLES, k=_VOCAB_RNG.randint(2, 4))) for _ in range(26_000)})[:20_000]
_VOCAB_RNG.shuffle(WORDS)
_WEIGHTS = [1 / (rank + 1) for rank in range(len(WORDS))]
_CUMULATIVE = list(__import__("itertools").accumulate(_WEIGHTS))


def _text(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choices(WORDS, cum_weights=_CUMULATIVE, k=n))


def _workspace(root: Path, backend: str) -> Path:
    root.mkdir(parents=True)
    (root / "kin.toml").write_text(f'[archivist]\nbackend = "{backend}"\n')
    return root


def _memories(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    strata = ("somatic", "cognitive", "metaphysical")
    return [{"stratum": strata[i % 3], "content": _text(rng), "namespace": f"daemons/d{i % 16}",
             "summary": _text(rng, 4), "keywords": [_text(rng, 1)]} for i in range(count)]


def _store_latency(base: Path, n: int) -> list[dict]:
    from shadeos_archivist.archivist import Archivist

    archive = Archivist.open(_workspace(base / "store", "whoosh"))
    samples = timeit(lambda: archive.store_memory("somatic", "the parser fails on empty files",
                                                  namespace="daemons/bench"), n)
    line = (json.dumps({"op": "store", "content": "the parser fails on empty files"}) + "\n").encode()
    raw_path = base / "raw.jsonl"

    def raw() -> None:
        fd = os.open(raw_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    baseline = timeit(raw, n)
    archive.close()
    s, b = summary(samples), summary(baseline)
    return [{"metric": "store_memory p50 (fsync)", "value": s["p50"], "baseline_name": "raw append+fsync p50",
             "baseline": b["p50"], "target": "< 20 ms (seed)"},
            {"metric": "store_memory p99 (fsync)", "value": s["p99"], "baseline_name": "raw append+fsync p99",
             "baseline": b["p99"], "target": "< 2 ms"}]


def _naive_whoosh_per_doc(base: Path, docs: list[dict]) -> float:
    """Seconds per document when each document is its own Whoosh commit (the naive way)."""
    from shadeos_archivist.whoosh_backend import _schema, _whoosh, searchable_text

    path = base / "naive"
    path.mkdir()
    ix = _whoosh().index.create_in(str(path), _schema())
    start = time.perf_counter()
    for i, doc in enumerate(docs):
        writer = ix.writer()
        writer.add_document(id=f"n{i}", namespace=doc["namespace"], stratum=doc["stratum"],
                            text=searchable_text(doc))
        writer.commit()
    ix.close()
    return (time.perf_counter() - start) / len(docs)


def _bulk(base: Path, backend: str, docs: list[dict]) -> tuple[float, object]:
    from shadeos_archivist.archivist import Archivist

    archive = Archivist.open(_workspace(base / f"bulk-{backend}", backend))
    start = time.perf_counter()
    for at in range(0, len(docs), 10_000):
        archive.store_many(docs[at:at + 10_000])
    archive.sync_index()
    return time.perf_counter() - start, archive


def _search_samples(archive, queries: list[str]) -> list[float]:
    samples = []
    for query in queries:
        start = time.perf_counter()
        archive.search(query, limit=10)
        samples.append(time.perf_counter() - start)
    return samples


def _scan(docs: list[dict], queries: list[str]) -> list[float]:
    """The baseline of a search: check every record for the words, no index."""
    samples = []
    for query in queries:
        wanted = query.split()
        start = time.perf_counter()
        [d for d in docs if all(w in d["content"].split() for w in wanted)][:10]
        samples.append(time.perf_counter() - start)
    return samples


def main(as_json: bool = False, quick: bool = False) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _main(as_json, quick)


def _main(as_json: bool, quick: bool) -> None:
    size = 10_000 if quick else 100_000
    sample = 100 if quick else 300
    stores = 200 if quick else 1000
    base = Path(tempfile.mkdtemp(prefix="kin-bench-archivist-"))
    try:
        rows = _store_latency(base, stores)
        docs = _memories(size)
        naive = _naive_whoosh_per_doc(base, docs[:sample])
        whoosh_s, whoosh_archive = _bulk(base, "whoosh", docs)
        sqlite_s, sqlite_archive = _bulk(base, "sqlite", docs)
        rows += [
            {"metric": f"bulk import {size:,} (whoosh), per memory", "value": whoosh_s / size,
             "baseline_name": f"naive commit/doc ({sample} sample)", "baseline": naive},
            {"metric": f"bulk import {size:,} (whoosh), per memory", "value": whoosh_s / size,
             "baseline_name": "sqlite backend", "baseline": sqlite_s / size},
            {"metric": f"bulk import {size:,} (whoosh), total", "value": whoosh_s},
            {"metric": f"bulk import {size:,} (sqlite), total", "value": sqlite_s},
        ]
        rng = random.Random(11)
        queries = [_text(rng, 2) for _ in range(200 if quick else 400)]  # drawn like the notes: common words often
        baseline = summary(_scan(docs, queries[:50]))
        for name, archive in (("whoosh", whoosh_archive), ("sqlite", sqlite_archive)):
            _search_samples(archive, queries[:5])  # warm caches
            s = summary(_search_samples(archive, queries))
            rows += [{"metric": f"search p50 at {size:,} ({name})", "value": s["p50"],
                      "baseline_name": "linear scan p50", "baseline": baseline["p50"]},
                     {"metric": f"search p99 at {size:,} ({name})", "value": s["p99"],
                      "baseline_name": "linear scan p99", "baseline": percentile(_scan(docs, queries[:50]), 99)}]
        # The same queries through Whoosh's own matchers on the same index: what the ranking replaces.
        from shadeos_archivist.model import words

        backend = whoosh_archive.index.backend
        own = []
        for query in queries:
            start = time.perf_counter()
            backend.whoosh_search(list(dict.fromkeys(words(query))), limit=10)
            own.append(time.perf_counter() - start)
        fast = summary(_search_samples(whoosh_archive, queries))
        rows += [{"metric": f"search p50 at {size:,} (whoosh)", "value": fast["p50"],
                  "baseline_name": "Whoosh query machinery p50", "baseline": percentile(own, 50)},
                 {"metric": f"search p99 at {size:,} (whoosh)", "value": fast["p99"],
                  "baseline_name": "Whoosh query machinery p99", "baseline": percentile(own, 99)}]
        journal = whoosh_archive.journal
        start = time.perf_counter()
        journal.read(0)
        read_s = time.perf_counter() - start
        start = time.perf_counter()
        whoosh_archive.reindex()
        reindex_s = time.perf_counter() - start
        rows.append({"metric": f"full reindex {size:,} (whoosh)", "value": reindex_s,
                     "baseline_name": "read+decode journal", "baseline": read_s})
        start = time.perf_counter()
        sqlite_archive.reindex()
        rows.append({"metric": f"full reindex {size:,} (sqlite)", "value": time.perf_counter() - start,
                     "baseline_name": "read+decode journal", "baseline": read_s})
        whoosh_archive.close()
        sqlite_archive.close()
        report("archivist", rows, as_json=as_json)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
