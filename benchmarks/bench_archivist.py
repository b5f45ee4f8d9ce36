"""Archivist: store latency, bulk import, search and reindex, each beside a baseline measured in this run.

Every figure and its baseline are taken in alternation, round after round; the
ratio's spread over the rounds is printed beside it.

- ``store_memory`` (fsync) beside a raw ``write`` + ``fsync`` appending the same journal line to a file;
- bulk import (journal + index) beside the cheapest Whoosh import of the same documents (one writer, one
  commit, no journal), on a sample; and the full size on both backends;
- search p50/p99 at the full size on both backends, beside a linear scan of the records, and the
  Whoosh backend's ranking beside Whoosh's own query machinery on the same index;
- a full reindex of the Whoosh index, beside reading and decoding the journal.
"""
from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
import warnings
from pathlib import Path

from common import Paired, alternate, interleave, report

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


def _store_latency(base: Path, rounds: int, per_round: int) -> list[dict]:
    from shadeos_archivist.archivist import Archivist
    from shadeos_archivist.journal import _line
    from shadeos_archivist.model import make_memory

    archive = Archivist.open(_workspace(base / "store", "whoosh"))
    content, namespace = "the parser fails on empty files", "daemons/bench"
    # The same bytes as a journal line of ours: the baseline writes no less than we do.
    line = _line(make_memory(stratum="somatic", content=content, namespace=namespace, summary=None, keywords=None,
                             metadata=None, author=None, strata=archive.settings.strata))
    fd = os.open(base / "raw.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def raw() -> None:
        os.write(fd, line)
        os.fsync(fd)

    try:
        paired = alternate(lambda: archive.store_memory("somatic", content, namespace=namespace), raw, rounds,
                           per_round)
    finally:
        os.close(fd)
        archive.close()
    return [paired.row("store_memory (fsync)", "raw append+fsync", target="< 20 ms (seed)"),
            paired.row("store_memory (fsync)", "raw append+fsync", "p99", target="p99 <= 2x")]


def _whoosh_import(path: Path, docs: list[dict]) -> float:
    """Seconds to index ``docs`` with Whoosh the cheapest way: one writer, one commit (no journal)."""
    from shadeos_archivist.whoosh_backend import _schema, _whoosh, searchable_text

    path.mkdir()
    start = time.perf_counter()
    ix = _whoosh().index.create_in(str(path), _schema())
    writer = ix.writer()
    for i, doc in enumerate(docs):
        writer.add_document(id=f"n{i}", namespace=doc["namespace"], stratum=doc["stratum"],
                            text=searchable_text(doc))
    writer.commit()
    ix.close()
    return time.perf_counter() - start


def _bulk(base: Path, backend: str, docs: list[dict]) -> tuple[float, object]:
    from shadeos_archivist.archivist import Archivist

    archive = Archivist.open(_workspace(base, backend))
    start = time.perf_counter()
    for at in range(0, len(docs), 10_000):
        archive.store_many(docs[at:at + 10_000])
    archive.sync_index()
    return time.perf_counter() - start, archive


def _bulk_sample(base: Path, docs: list[dict], rounds: int) -> list[dict]:
    """Our Whoosh import (journal + index) and Whoosh's own cheapest import of the same documents, in turns."""
    paired = Paired([], [])
    for r in range(rounds):
        def ours() -> float:
            took, archive = _bulk(base / f"sample-ours-{r}", "whoosh", docs)
            archive.close()  # type: ignore[attr-defined]
            return took / len(docs)

        def theirs() -> float:
            return _whoosh_import(base / f"sample-whoosh-{r}", docs) / len(docs)

        first, second = (ours, theirs) if r % 2 == 0 else (theirs, ours)
        got = {first: first(), second: second()}
        paired.measured.append([got[ours]])
        paired.baseline.append([got[theirs]])
    return [paired.row(f"bulk import {len(docs):,} (whoosh), per memory", "one Whoosh commit")]


def _scan_one(docs: list[dict], query: str) -> None:
    """The baseline of a search: check every record for the words, no index."""
    wanted = query.split()
    [d for d in docs if all(w in d["content"].split() for w in wanted)][:10]


def _searches(archive, docs: list[dict], queries: list[str], rounds: int, label: str, size: int) -> list[dict]:
    scans = iter(queries * 2)
    ours = iter(queries * 2)
    per_round = max(1, len(queries) // rounds)
    paired = alternate(lambda: archive.search(next(ours), limit=10), lambda: _scan_one(docs, next(scans)),
                       rounds, per_round, warmup=2)
    return [paired.row(f"search at {size:,} ({label})", "linear scan"),
            paired.row(f"search at {size:,} ({label})", "linear scan", "p99")]


def main(as_json: bool = False, quick: bool = False) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _main(as_json, quick)


def _main(as_json: bool, quick: bool) -> None:
    size = 10_000 if quick else 100_000
    sample = 2_000 if quick else 10_000
    rounds = 5 if quick else 10
    base = Path(tempfile.mkdtemp(prefix="kin-bench-archivist-"))
    try:
        rows = _store_latency(base, rounds, 40 if quick else 100)
        docs = _memories(size)
        rows += _bulk_sample(base, docs[:sample], 3)
        whoosh_s, whoosh_archive = _bulk(base / "bulk-whoosh", "whoosh", docs)
        sqlite_s, sqlite_archive = _bulk(base / "bulk-sqlite", "sqlite", docs)
        rows += [
            {"metric": f"bulk import {size:,} (whoosh), per memory", "value": whoosh_s / size,
             "baseline_name": "sqlite backend", "baseline": sqlite_s / size},
            {"metric": f"bulk import {size:,} (whoosh), total", "value": whoosh_s},
            {"metric": f"bulk import {size:,} (sqlite), total", "value": sqlite_s},
        ]
        rng = random.Random(11)
        queries = [_text(rng, 2) for _ in range(200 if quick else 400)]  # drawn like the notes: common words often
        for name, archive in (("whoosh", whoosh_archive), ("sqlite", sqlite_archive)):
            rows += _searches(archive, docs, queries[:50], 5, name, size)
        # The same queries through Whoosh's own matchers on the same index: what the ranking replaces.
        from shadeos_archivist.model import words

        backend = whoosh_archive.index.backend  # type: ignore[attr-defined]
        theirs = iter(queries * 2)
        ours = iter(queries * 2)
        own = alternate(lambda: whoosh_archive.search(next(ours), limit=10),  # type: ignore[attr-defined]
                        lambda: backend.whoosh_search(list(dict.fromkeys(words(next(theirs)))), limit=10),
                        rounds, len(queries) // rounds, warmup=5)
        rows += [own.row(f"search at {size:,} (whoosh)", "Whoosh query machinery"),
                 own.row(f"search at {size:,} (whoosh)", "Whoosh query machinery", "p99")]
        journal = whoosh_archive.journal  # type: ignore[attr-defined]
        reindex = interleave({"whoosh": whoosh_archive.reindex, "sqlite": sqlite_archive.reindex,  # type: ignore
                              "read": lambda: journal.read(0)}, 2, 1, warmup=0)
        rows.append(Paired(reindex["whoosh"], reindex["read"]).row(f"full reindex {size:,} (whoosh)",
                                                                   "read+decode journal"))
        rows.append(Paired(reindex["sqlite"], reindex["read"]).row(f"full reindex {size:,} (sqlite)",
                                                                   "read+decode journal"))
        whoosh_archive.close()  # type: ignore[attr-defined]
        sqlite_archive.close()  # type: ignore[attr-defined]
        report("archivist", rows, as_json=as_json)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
