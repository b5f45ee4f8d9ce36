"""The second memory index: SQLite FTS5 (stdlib ``sqlite3``) in ``.kin/memory/index-sqlite/index.sqlite3``.

WAL mode lets readers search while one writer commits; the journal
checkpoint lives in a table written in the same transaction as the records.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from shadeos_core.errors import KinError
from shadeos_core.memory import MemoryBackend

__all__ = ["SqliteBackend"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
                                 namespace TEXT NOT NULL, stratum TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS docs_namespace ON docs (namespace);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (content, summary, keywords,
    tokenize = "unicode61 remove_diacritics 0 tokenchars '_'");
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class SqliteBackend(MemoryBackend):
    """SQLite FTS5 index ranked by BM25; ``options["lock_timeout"]`` bounds the wait for the write lock."""

    def __init__(self, path: Path, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(Path(path), options)
        self.path.mkdir(parents=True, exist_ok=True)
        self.file = self.path / "index.sqlite3"
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            timeout = float(self.options.get("lock_timeout", 10.0))
            db = sqlite3.connect(self.file, timeout=timeout, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # the index is derived: a lost tail is re-read from the journal
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def _write(self) -> sqlite3.Cursor:
        try:
            return self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise KinError(f"the SQLite index {self.file} stayed locked by another writer",
                               hint="another process is indexing; retry, or raise [archivist] lock_timeout") from None
            raise

    def update(self, added: Sequence[Mapping[str, Any]], deleted: Iterable[str] = (),
               checkpoint: Mapping[str, Any] | None = None) -> None:
        db = self.db
        self._write()
        try:
            for memory_id in deleted:
                row = db.execute("SELECT rowid FROM docs WHERE id = ?", (memory_id,)).fetchone()
                if row is not None:
                    db.execute("DELETE FROM fts WHERE rowid = ?", row)
                    db.execute("DELETE FROM docs WHERE rowid = ?", row)
            for record in added:
                cursor = db.execute("INSERT OR IGNORE INTO docs (id, namespace, stratum) VALUES (?, ?, ?)",
                                    (record["id"], record["namespace"], record["stratum"]))
                if cursor.rowcount:
                    db.execute("INSERT INTO fts (rowid, content, summary, keywords) VALUES (?, ?, ?, ?)",
                               (cursor.lastrowid, record["content"], record.get("summary") or "",
                                " ".join(record.get("keywords") or ())))
            if checkpoint is not None:
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('checkpoint', ?)",
                           (json.dumps(dict(checkpoint)),))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def checkpoint(self) -> dict[str, Any] | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'checkpoint'").fetchone()
        return json.loads(row[0]) if row else None

    def search(self, terms: Sequence[str], *, strata: Sequence[str] | None = None, namespace: str | None = None,
               limit: int = 10) -> list[tuple[str, float]]:
        if not terms:
            return []
        match = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
        sql = "SELECT d.id, bm25(fts) AS rank FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ?"
        params: list[Any] = [match]
        if namespace is not None:
            sql += " AND d.namespace = ?"
            params.append(namespace)
        if strata:
            sql += f" AND d.stratum IN ({', '.join('?' * len(strata))})"
            params.extend(strata)
        sql += " ORDER BY rank LIMIT ?"
        params.append(limit)
        return [(memory_id, -rank) for memory_id, rank in self.db.execute(sql, params)]

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM docs").fetchone()[0])

    def clear(self) -> None:
        db = self.db
        self._write()
        db.execute("DELETE FROM docs")
        db.execute("DELETE FROM fts")
        db.execute("DELETE FROM meta")
        db.execute("COMMIT")

    def optimize(self) -> dict[str, Any]:
        before = self.file.stat().st_size
        self.db.execute("INSERT INTO fts (fts) VALUES ('optimize')")
        self.db.execute("VACUUM")
        return {"bytes_before": before, "bytes_after": self.file.stat().st_size}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
