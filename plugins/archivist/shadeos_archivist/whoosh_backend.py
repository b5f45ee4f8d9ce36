"""The default memory index: a Whoosh index in ``.kin/memory/index-whoosh/``.

The journal checkpoint is a document of its own, committed with the records
it covers, so the index never claims more (or less) than it holds. Writes
use a plain ``ix.writer()`` with a lock timeout (never ``AsyncWriter``);
searches use a searcher refreshed per call and never wait for a writer.
"""
from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from shadeos_core.errors import KinError
from shadeos_core.memory import MemoryBackend

from .whoosh_ranking import SegmentCache, rank

__all__ = ["WhooshBackend"]

_CHECKPOINT = "__checkpoint__"


def _whoosh() -> Any:
    # Whoosh 2.7.4 carries regex literals that Python 3.12+ flags with SyntaxWarning on import.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        import whoosh.analysis
        import whoosh.fields
        import whoosh.index
        import whoosh.query
        import whoosh.writing  # noqa: F401

        return whoosh


def _schema() -> Any:
    whoosh = _whoosh()
    f, a = whoosh.fields, whoosh.analysis
    # The same words as the sqlite backend and the unindexed-tail scan: \w+ runs, lower-cased, no stop words.
    words = a.RegexTokenizer(r"\w+") | a.LowercaseFilter()
    return f.Schema(
        id=f.ID(stored=True, unique=True),
        namespace=f.ID(),
        stratum=f.ID(),
        # content, summary and keywords in one field: an And of single terms lets Whoosh skip through
        # postings, where an Or over three fields per word reads and scores every posting.
        # No positions (phrase=False): search never asks for phrases, and a block of postings with positions
        # costs ten times more to decode (its pickled values hold every position), on every search.
        text=f.TEXT(analyzer=words, phrase=False),
        state=f.STORED(),
    )


def searchable_text(record: Mapping[str, Any]) -> str:
    """What search looks into: content, summary and keywords."""
    return "\n".join((record["content"], record.get("summary") or "", " ".join(record.get("keywords") or ())))


class WhooshBackend(MemoryBackend):
    """Whoosh index; ``options["lock_timeout"]`` (seconds) bounds the wait for Whoosh's write lock."""

    def __init__(self, path: Path, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(Path(path), options)
        self.path.mkdir(parents=True, exist_ok=True)
        self._ix: Any = None
        self._searcher: Any = None
        self._segments = SegmentCache()

    # -- opening -------------------------------------------------------------------------
    def _open(self, create: bool) -> Any:
        if self._ix is None:
            index = _whoosh().index
            if index.exists_in(str(self.path)):
                self._ix = index.open_dir(str(self.path))
            elif create:
                self._ix = index.create_in(str(self.path), _schema())
        return self._ix

    def _fresh_searcher(self) -> Any:
        ix = self._open(create=False)
        if ix is None:
            return None
        if self._searcher is None:
            self._searcher = ix.searcher()
        else:
            self._searcher = self._searcher.refresh()
        return self._searcher

    def _writer(self) -> Any:
        whoosh = _whoosh()
        timeout = float(self.options.get("lock_timeout", 10.0))
        try:
            return self._open(create=True).writer(timeout=timeout, limitmb=128)
        except whoosh.index.LockError:
            raise KinError(f"the Whoosh index {self.path} stayed locked by another writer for {timeout:g}s",
                           hint="another process is indexing; retry, or raise [archivist] lock_timeout") from None

    # -- writing -------------------------------------------------------------------------
    def update(self, added: Sequence[Mapping[str, Any]], deleted: Iterable[str] = (),
               checkpoint: Mapping[str, Any] | None = None) -> None:
        writer = self._writer()
        try:
            for memory_id in deleted:
                writer.delete_by_term("id", memory_id)
            for record in added:
                writer.add_document(id=record["id"], namespace=record["namespace"], stratum=record["stratum"],
                                    text=searchable_text(record))
            if checkpoint is not None:
                writer.update_document(id=_CHECKPOINT, state=json.dumps(dict(checkpoint)))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def checkpoint(self) -> dict[str, Any] | None:
        searcher = self._fresh_searcher()
        if searcher is None:
            return None
        if searcher.schema["text"].format.supports("positions"):
            return None  # an index of an older layout (with positions): no checkpoint makes the next sync rebuild it
        stored = searcher.document(id=_CHECKPOINT)
        return json.loads(stored["state"]) if stored else None

    def clear(self) -> None:
        self._drop_handles()
        # create_in over an existing index starts a new empty generation and removes the old files.
        self._ix = _whoosh().index.create_in(str(self.path), _schema())

    def optimize(self) -> dict[str, Any]:
        ix = self._open(create=True)
        before = len(ix._segments())
        writer = self._writer()
        writer.commit(optimize=True)
        self._drop_handles()
        after = len(self._open(create=True)._segments())
        return {"segments_before": before, "segments_after": after}

    # -- reading -------------------------------------------------------------------------
    def search(self, terms: Sequence[str], *, strata: Sequence[str] | None = None, namespace: str | None = None,
               limit: int = 10) -> list[tuple[str, float]]:
        terms = list(dict.fromkeys(terms))
        if not terms:
            return []
        searcher = self._fresh_searcher()
        if searcher is None:
            return []
        ranked = rank(searcher, terms, strata=strata, namespace=namespace, limit=limit, cache=self._segments)
        if ranked is None:
            return self.whoosh_search(terms, strata=strata, namespace=namespace, limit=limit)
        return [(searcher.stored_fields(docnum)["id"], float(score)) for docnum, score in ranked]

    def whoosh_search(self, terms: Sequence[str], *, strata: Sequence[str] | None = None,
                      namespace: str | None = None, limit: int = 10) -> list[tuple[str, float]]:
        """:meth:`search` by Whoosh's own query machinery (same results, slower on common words)."""
        terms = list(dict.fromkeys(terms))
        searcher = self._fresh_searcher()
        if searcher is None or not terms:
            return []
        q = _whoosh().query
        query = q.And([q.Term("text", term) for term in terms])
        filters = []
        if namespace is not None:
            filters.append(q.Term("namespace", namespace))
        if strata:
            filters.append(q.Or([q.Term("stratum", s) for s in strata]))
        only = q.And(filters) if filters else None
        results = searcher.search(query, limit=limit, filter=only)
        return [(hit["id"], float(hit.score)) for hit in results]

    def count(self) -> int:
        searcher = self._fresh_searcher()
        if searcher is None:
            return 0
        has_checkpoint = searcher.document(id=_CHECKPOINT) is not None
        return int(searcher.doc_count()) - (1 if has_checkpoint else 0)

    def close(self) -> None:
        self._drop_handles()

    def _drop_handles(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._ix is not None:
            self._ix.close()
            self._ix = None
