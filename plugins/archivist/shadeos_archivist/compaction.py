"""Compacting the journal: only live memories, their edges and declared subgraphs, without duplicates."""
from __future__ import annotations

from typing import Any

from .model import is_cross_fractal
from .view import ArchiveView

__all__ = ["compact"]


def _same(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["namespace"], record["stratum"], record["content"], record.get("summary") or "",
            tuple(record.get("keywords") or ()))


def compact(view: ArchiveView) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The records of a compacted journal for ``view``, and ``{duplicate id: id it was merged into}``.

    Memories keep their ids, times and order (so time chains are unchanged
    apart from dropped duplicates); edges of a duplicate move to the memory it
    duplicates, and an edge that becomes a loop or a repeat is dropped.
    """
    first: dict[tuple[Any, ...], str] = {}
    merged: dict[str, str] = {}
    records: list[dict[str, Any]] = []
    for record in view.memories.values():
        key = _same(record)
        if key in first:
            merged[record["id"]] = first[key]
            continue
        first[key] = record["id"]
        records.append(record)
    declared = {r["namespace"] for r in records}
    records.extend({"op": "subgraph", "namespace": ns} for ns in sorted(view.subgraphs - declared))
    seen: set[tuple[str, str, str]] = set()
    for edge in view.all_edges():
        source = merged.get(edge["source"], edge["source"])
        target = merged.get(edge["target"], edge["target"])
        if source == target or source not in view.memories or target not in view.memories:
            continue
        key = (source, target, edge["type"])
        if key in seen:
            continue
        seen.add(key)
        records.append({**edge, "source": source, "target": target,
                        "cross_fractal": is_cross_fractal(view.memories[source], view.memories[target])})
    return records, merged
