"""BM25F ranking of an AND of words over a Whoosh index, without a matcher call per posting.

Whoosh's own search walks the intersection one posting at a time through a
tree of matchers and scores each match in Python: two common words over
100,000 short notes mean tens of thousands of matches and half a second.
Here each word's posting list is read a block at a time into a dict, the
intersection (and the namespace/stratum filters, kept per segment) is done by
set operations in C, and only the surviving documents are scored, with the
same BM25F formula, statistics and tie order as Whoosh's searcher (the tests
compare both). A posting reader that is not Whoosh's own block format falls
back to reading one posting at a time, still correct.
"""
from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

__all__ = ["SegmentCache", "rank"]

FIELD = "text"


class SegmentCache:
    """What never changes in a Whoosh segment once written: document lengths and filter doc sets.

    Keyed by segment id, so a searcher refreshed after a commit reuses what it
    already read of the old segments; deletions are not cached (they change).
    """

    def __init__(self) -> None:
        self._lengths: dict[tuple[str, str], bytes] = {}
        self._docs: dict[tuple[str, str, str], frozenset[int]] = {}

    def lengths(self, segid: str, reader: Any) -> bytes:
        """One byte per document: Whoosh's compressed length of :data:`FIELD`."""
        key = (segid, FIELD)
        found = self._lengths.get(key)
        if found is None:
            found = self._lengths[key] = _length_bytes(reader)
        return found

    def docs(self, segid: str, reader: Any, field: str, value: str) -> frozenset[int]:
        """Segment-local numbers of the documents whose ``field`` holds the term ``value``."""
        key = (segid, field, value)
        found = self._docs.get(key)
        if found is None:
            found = self._docs[key] = frozenset(_postings(reader, field, value))
        return found

    def forget_except(self, segids: set[str]) -> None:
        """Drop what belongs to segments merged away."""
        for key in [k for k in self._lengths if k[0] not in segids]:
            del self._lengths[key]
        for docs_key in [k for k in self._docs if k[0] not in segids]:
            del self._docs[docs_key]


def rank(searcher: Any, terms: Sequence[str], *, strata: Sequence[str] | None, namespace: str | None,
         limit: int, cache: SegmentCache) -> list[tuple[int, float]] | None:
    """``(docnum, score)`` of the best ``limit`` documents holding every term, best first.

    ``None`` when the searcher does not rank with plain BM25F (the caller then
    asks Whoosh's own search).
    """
    from whoosh.scoring import BM25F
    from whoosh.util.numeric import byte_to_length

    weighting = searcher.weighting
    if type(weighting) is not BM25F or weighting._field_B:  # noqa: SLF001 - per-field B would change scores
        return None
    if not searcher.doc_count_all():  # an index generation with no commit yet (a rebuild just started)
        return []
    b, k1 = weighting.B, weighting.K1
    avgfl = searcher.avg_field_length(FIELD) or 1
    idfs = [searcher.idf(FIELD, term) for term in terms]
    # BM25's length part depends only on the length byte: 256 values, computed once per query.
    norms = [k1 * ((1 - b) + b * byte_to_length(lb) / avgfl) for lb in range(256)]
    k1p = k1 + 1
    best: list[tuple[float, int]] = []
    live: set[str] = set()
    for reader, offset in _leaves(searcher):
        segid = reader.segment().segment_id()
        live.add(segid)
        postings = [_postings(reader, FIELD, term) for term in terms]
        if not all(postings):
            continue
        found = set(min(postings, key=len).keys())
        for other in postings:
            found.intersection_update(other.keys())
        if namespace is not None:
            found.intersection_update(cache.docs(segid, reader, "namespace", namespace))
        if strata:
            found.intersection_update(frozenset().union(*(cache.docs(segid, reader, "stratum", s) for s in strata)))
        if reader.has_deletions():
            perdoc = getattr(reader, "_perdoc", None)
            if perdoc is not None and hasattr(perdoc, "deleted_docs"):
                found.difference_update(perdoc.deleted_docs())
            else:
                found = {d for d in found if not reader.is_deleted(d)}
        if not found:
            continue
        lengths = cache.lengths(segid, reader)
        scored = _score(found, postings, idfs, lengths, norms, k1p, offset)
        # Whoosh orders equal scores by document number: the heap key makes the lower number win.
        best = heapq.nlargest(limit, [*best, *scored])
    cache.forget_except(live)
    return [(-negdoc, score) for score, negdoc in best]


def _score(found: set[int], postings: list[dict[int, float]], idfs: list[float], lengths: bytes,
           norms: list[float], k1p: float, offset: int) -> list[tuple[float, int]]:
    if len(postings) == 1:
        (p,), (idf,) = postings, idfs
        return [(idf * (p[d] * k1p) / (p[d] + norms[lengths[d]]), -(d + offset)) for d in found]
    if len(postings) == 2:
        (p, q), (ip, iq) = postings, idfs
        out = []
        for d in found:
            norm = norms[lengths[d]]
            w, v = p[d], q[d]
            out.append((ip * (w * k1p) / (w + norm) + iq * (v * k1p) / (v + norm), -(d + offset)))
        return out
    out = []
    for d in found:
        norm = norms[lengths[d]]
        parts = [idf * (p[d] * k1p) / (p[d] + norm) for p, idf in zip(postings, idfs)]
        out.append((_tree_sum(parts), -(d + offset)))
    return out


def _tree_sum(parts: list[float]) -> float:
    # Whoosh adds the scores of an AND as a balanced binary tree; floats add the same way only in that order.
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def _leaves(searcher: Any) -> list[tuple[Any, int]]:
    if searcher.is_atomic():
        return [(searcher.reader(), 0)]
    return [(sub.reader(), offset) for sub, offset in searcher.subsearchers]


def _postings(reader: Any, field: str, term: str) -> dict[int, float]:
    """``{docnum: weight}`` of ``term`` in one segment, deleted documents included."""
    from whoosh.matching.wrappers import FilterMatcher
    from whoosh.reading import TermNotFound

    try:
        matcher = reader.postings(field, term)
    except TermNotFound:
        return {}
    if isinstance(matcher, FilterMatcher):  # the deleted-documents filter: the caller drops those itself
        matcher = matcher.child
    out: dict[int, float] = {}
    if all(hasattr(matcher, name) for name in ("_read_ids", "_read_weights", "_next_block", "_ids", "_weights")):
        # Whoosh 3 block postings: decode a block (up to 128 postings) at a time.
        while matcher.is_active():
            matcher._read_ids()  # noqa: SLF001
            matcher._read_weights()  # noqa: SLF001
            out.update(zip(matcher._ids, matcher._weights))  # noqa: SLF001
            matcher._next_block()  # noqa: SLF001
        return out
    while matcher.is_active():
        out[matcher.id()] = matcher.weight()
        matcher.next()
    return out


def _length_bytes(reader: Any) -> bytes:
    from whoosh.util.numeric import length_to_byte

    count = reader.doc_count_all()
    column = getattr(getattr(reader, "_perdoc", None), "_cached_reader", None)
    column = column(f"_{FIELD}_len", _lengths_column()) if column else None
    if column is not None and getattr(column, "_fixedlen", None) == 1 and hasattr(column, "_dbfile"):
        raw = column._dbfile.get(column._basepos, column._count)  # noqa: SLF001 - the whole column in one read
        return bytes(raw) + bytes(max(0, count - len(raw)))
    return bytes(length_to_byte(reader.doc_field_length(d, FIELD, 0) or 0) for d in range(count))


def _lengths_column() -> Any:
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    return LENGTHS_COLUMN
