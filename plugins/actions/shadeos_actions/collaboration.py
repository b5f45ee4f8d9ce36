"""Who works with whom: messages, task hand-offs, conflicts, and files touched by more than one daemon.

Edges are ``{"source", "target", "kind", "count", "first", "last"}``: kinds
``message`` and ``task`` point from the sender (the one who queued the task)
to the receiver (the one who took it), ``conflict`` from the one waiting to
the one holding the file, ``file`` joins two daemons (sorted) that changed
the same files (``count`` files, named in ``files``).
"""
from __future__ import annotations

from typing import Any

from .records import Record

__all__ = ["Collaboration", "mermaid", "dot"]

_FILE_KINDS = frozenset({"edit", "commit"})


class Collaboration:
    def __init__(self) -> None:
        self.nodes: set[str] = set()
        self._edges: dict[tuple[str, str, str], list[Any]] = {}  # key -> [count, first, last]
        self._messages: set[str] = set()
        self._touched: dict[str, dict[str, list[float]]] = {}  # path -> daemon -> [first, last]

    def _edge(self, source: str, target: str, kind: str, t: float) -> None:
        if not source or not target or source == target:
            return
        self.nodes.update((source, target))
        edge = self._edges.get((source, target, kind))
        if edge is None:
            self._edges[(source, target, kind)] = [1, t, t]
        else:
            edge[0] += 1
            edge[1] = min(edge[1], t)
            edge[2] = max(edge[2], t)

    def feed(self, record: Record) -> None:
        daemon, kind, data, t = record["daemon"], record["kind"], record["data"], record["time"]
        if daemon:
            self.nodes.add(daemon)
        if kind == "message":
            name = data.get("sent") or data.get("received")
            if data.get("message_kind") == "task":
                return  # a task handed over: its claim is the edge
            if not isinstance(name, str) or name in self._messages:
                return  # the same message seen sent and received counts once
            self._messages.add(name)
            if "sent" in data:
                self._edge(daemon, str(data.get("to", "")), "message", t)
            else:
                self._edge(str(data.get("sender", "")), daemon, "message", t)
        elif kind == "task" and data.get("action") == "claimed":
            self._edge(str(data.get("by") or ""), daemon, "task", t)
        elif kind == "conflict" and not data.get("resolved"):
            self._edge(str(data.get("waiting") or daemon), str(data.get("holder") or ""), "conflict", t)
        elif kind in _FILE_KINDS and daemon:
            found = data.get("paths") if kind == "commit" else [data.get("path")]
            if kind == "edit" and data.get("outcome", "applied") != "applied":
                return
            for path in found if isinstance(found, list) else []:
                if isinstance(path, str):
                    seen = self._touched.setdefault(path, {}).setdefault(daemon, [t, t])
                    seen[1] = t

    def edges(self) -> list[dict[str, Any]]:
        edges = [{"source": s, "target": d, "kind": k, "count": c, "first": f, "last": la}
                 for (s, d, k), (c, f, la) in self._edges.items()]
        shared: dict[tuple[str, str], dict[str, Any]] = {}
        for path, by in self._touched.items():
            names = sorted(by)
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    edge = shared.setdefault((a, b), {"source": a, "target": b, "kind": "file", "count": 0,
                                                      "first": None, "last": None, "files": []})
                    edge["count"] += 1
                    edge["files"].append(path)
                    first, last = max(by[a][0], by[b][0]), max(by[a][1], by[b][1])
                    edge["first"] = first if edge["first"] is None else min(edge["first"], first)
                    edge["last"] = last if edge["last"] is None else max(edge["last"], last)
        for edge in shared.values():
            edge["files"] = sorted(edge["files"])[:20]
            edges.append(edge)
        edges.sort(key=lambda e: (e["kind"], e["source"], e["target"]))
        return edges

    def graph(self) -> dict[str, Any]:
        edges = self.edges()
        nodes = sorted(self.nodes)
        return {"nodes": nodes, "edges": edges, "mermaid": mermaid(nodes, edges), "dot": dot(nodes, edges)}


def _label(edge: dict[str, Any]) -> str:
    return f"{edge['kind']} ×{edge['count']}"


def mermaid(nodes: list[str], edges: list[dict[str, Any]]) -> str:
    ids = {name: f"n{i}" for i, name in enumerate(nodes)}
    lines = ["graph LR"]
    lines += [f'  {ids[name]}["{name}"]' for name in nodes]
    for e in edges:
        arrow = "---" if e["kind"] == "file" else ("-.->" if e["kind"] == "conflict" else "-->")
        lines.append(f'  {ids[e["source"]]} {arrow}|"{_label(e)}"| {ids[e["target"]]}')
    return "\n".join(lines) + "\n"


def dot(nodes: list[str], edges: list[dict[str, Any]]) -> str:
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph kin {", "  rankdir=LR;", "  node [shape=box];"]
    lines += [f"  {q(name)};" for name in nodes]
    for e in edges:
        style = {"file": ", dir=none, style=dashed", "conflict": ", style=dotted, color=red"}.get(e["kind"], "")
        lines.append(f"  {q(e['source'])} -> {q(e['target'])} [label={q(_label(e))}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
