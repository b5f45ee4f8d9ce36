"""The archive as the journal says it is now: live memories, per-namespace time chains, typed edges.

Built by replaying the journal and kept current by reading only what was
appended since (a process sees what every other process stored).
"""
from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

from .journal import Entry, Journal

__all__ = ["ArchiveView"]


class ArchiveView:
    """Replayed state of one journal. Call :meth:`refresh` to catch up with other writers."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._reset(None)

    def _reset(self, generation: str | None) -> None:
        self.generation = generation
        self.end = 0
        self.memories: dict[str, dict[str, Any]] = {}
        self.offset_of: dict[str, int] = {}
        self._store_offsets: list[int] = []
        self._store_ids: list[str] = []
        self.previous: dict[str, str] = {}
        self.next: dict[str, str] = {}
        self.tail: dict[str, str] = {}
        self.outgoing: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self.incoming: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self.subgraphs: set[str] = set()
        self._forget_offsets: list[int] = []
        self._forget_ids: list[str] = []
        self.salvaged: set[str] = set()  # stored records recovered from a damaged line (the index may lack them)
        self._annotate_offsets: list[int] = []
        self._annotate_ids: list[str] = []
        self.forgotten = 0

    # -- catching up ---------------------------------------------------------------------
    def refresh(self) -> int:
        """Apply what was appended since the last call; replay from scratch after a compaction.

        Returns how many journal entries were applied.
        """
        generation, entries, end = self.journal.read(self.end)
        if generation != self.generation:
            self._reset(generation)
            generation, entries, end = self.journal.read(0)
            self.generation = generation
        for entry in entries:
            self.apply(entry)
        self.end = max(self.end, end)
        return len(entries)

    def apply(self, entry: Entry) -> None:
        record = entry.record
        op = record.get("op")
        if op == "store":
            self._store(entry.offset, record)
            if entry.salvaged and isinstance(record.get("id"), str):
                self.salvaged.add(record["id"])
        elif op == "forget":
            memory_id = str(record.get("id"))
            if self._forget(memory_id, bool(record.get("cleanup_links", True))):
                self._forget_offsets.append(entry.offset)
                self._forget_ids.append(memory_id)
        elif op == "link":
            self._link(record)
        elif op == "subgraph":
            self.subgraphs.add(str(record.get("namespace")))
        elif op == "annotate":
            if self._annotate(record):
                self._annotate_offsets.append(entry.offset)
                self._annotate_ids.append(str(record.get("id")))
        # other ops (the header, future kinds) carry nothing to replay

    def _store(self, offset: int, record: dict[str, Any]) -> None:
        memory_id = record.get("id")
        if not isinstance(memory_id, str) or memory_id in self.memories:
            return
        self.memories[memory_id] = record
        self.offset_of[memory_id] = offset
        self._store_offsets.append(offset)
        self._store_ids.append(memory_id)
        namespace = record["namespace"]
        self.subgraphs.add(namespace)
        last = self.tail.get(namespace)
        if last is not None:
            self.previous[memory_id] = last
            self.next[last] = memory_id
        self.tail[namespace] = memory_id

    def _forget(self, memory_id: str, cleanup_links: bool) -> bool:
        record = self.memories.pop(memory_id, None)
        if record is None:
            return False
        self.forgotten += 1
        self.offset_of.pop(memory_id, None)
        before = self.previous.pop(memory_id, None)
        after = self.next.pop(memory_id, None)
        if before is not None:
            if after is not None:
                self.next[before] = after
            else:
                self.next.pop(before, None)
        if after is not None:
            if before is not None:
                self.previous[after] = before
            else:
                self.previous.pop(after, None)
        namespace = record["namespace"]
        if self.tail.get(namespace) == memory_id:
            if before is not None:
                self.tail[namespace] = before
            else:
                del self.tail[namespace]
        if cleanup_links:
            for (target, kind) in list(self.outgoing.pop(memory_id, {})):
                self.incoming.get(target, {}).pop((memory_id, kind), None)
            for (source, kind) in list(self.incoming.pop(memory_id, {})):
                self.outgoing.get(source, {}).pop((memory_id, kind), None)
        return True

    def _annotate(self, record: dict[str, Any]) -> bool:
        """Give a memory its summary and keywords (filled in after it was stored); the record is replaced, not
        changed, since callers may hold the old one."""
        memory_id = record.get("id")
        if not isinstance(memory_id, str) or memory_id not in self.memories:
            return False
        changes: dict[str, Any] = {}
        if isinstance(record.get("summary"), str):
            changes["summary"] = record["summary"]
        if isinstance(record.get("keywords"), list):
            changes["keywords"] = [k for k in record["keywords"] if isinstance(k, str)]
        self.memories[memory_id] = {**self.memories[memory_id], **changes, "annotated": str(record.get("at", ""))}
        return True

    def _link(self, record: dict[str, Any]) -> None:
        source, target, kind = record.get("source"), record.get("target"), record.get("type")
        if not isinstance(source, str) or not isinstance(target, str) or not isinstance(kind, str):
            return  # a damaged edge names no two memories: nothing to link
        if source not in self.memories or target not in self.memories:
            return  # an end was forgotten before this edge landed: no dangling edge
        self.outgoing.setdefault(source, {}).setdefault((target, kind), record)
        self.incoming.setdefault(target, {}).setdefault((source, kind), record)

    # -- questions -----------------------------------------------------------------------
    def get(self, memory_id: str) -> dict[str, Any] | None:
        return self.memories.get(memory_id)

    def edges(self, memory_id: str, direction: str = "both") -> list[dict[str, Any]]:
        """Edges from (``out``), to (``in``) or both ways around ``memory_id``, oldest first."""
        found: list[dict[str, Any]] = []
        if direction in ("out", "both"):
            found += [dict(e, direction="out") for e in self.outgoing.get(memory_id, {}).values()]
        if direction in ("in", "both"):
            found += [dict(e, direction="in") for e in self.incoming.get(memory_id, {}).values()]
        found.sort(key=lambda e: e.get("created", ""))
        for edge in found:
            edge["dangling"] = edge["source"] not in self.memories or edge["target"] not in self.memories
        return found

    def all_edges(self) -> Iterator[dict[str, Any]]:
        for targets in self.outgoing.values():
            yield from targets.values()

    def stored_since(self, offset: int) -> Iterator[dict[str, Any]]:
        """Live memories whose store lines start at or after journal ``offset``, oldest first."""
        start = bisect.bisect_left(self._store_offsets, offset)
        for memory_id in self._store_ids[start:]:
            record = self.memories.get(memory_id)
            if record is not None:
                yield record

    def annotated_since(self, offset: int) -> list[str]:
        """Ids whose ``annotate`` lines start at or after journal ``offset`` (to index again)."""
        return self._annotate_ids[bisect.bisect_left(self._annotate_offsets, offset):]

    def forgotten_since(self, offset: int) -> list[str]:
        """Ids whose ``forget`` lines start at or after journal ``offset`` (to drop from an index)."""
        return self._forget_ids[bisect.bisect_left(self._forget_offsets, offset):]
