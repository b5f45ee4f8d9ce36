"""The collaboration graph drawn as inline SVG (nodes on a circle, edges as arrows weighted by their count):
nothing is fetched, no script draws it."""
from __future__ import annotations

import math
from typing import Any

__all__ = ["layout"]


def _name(node: Any) -> str:
    if isinstance(node, dict):
        return str(node.get("id") or node.get("name") or node.get("daemon") or "")
    return str(node)


def layout(graph: Any, size: int = 520) -> dict[str, Any]:
    """Positions for a graph ``{"nodes": [...], "edges": [{"source", "target", "kind", "count"}]}``:
    ``{"size", "nodes": [{"name", "x", "y", "lx", "ly", "anchor"}], "edges": [{"x1", "y1", "x2", "y2",
    "width", "label", "title"}]}``. Nodes only named by an edge are drawn too."""
    graph = graph if isinstance(graph, dict) else {}
    edges = [e for e in graph.get("edges", []) if isinstance(e, dict)] if isinstance(graph.get("edges"), list) else []
    names = [_name(n) for n in graph.get("nodes", [])] if isinstance(graph.get("nodes"), list) else []
    for edge in edges:
        for end in (str(edge.get("source", "")), str(edge.get("target", ""))):
            if end and end not in names:
                names.append(end)
    names = [n for n in dict.fromkeys(names) if n]
    centre, radius = size / 2, size / 2 - 110
    at: dict[str, tuple[float, float]] = {}
    nodes = []
    for i, name in enumerate(names):
        angle = 2 * math.pi * i / max(1, len(names)) - math.pi / 2
        x, y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
        at[name] = (x, y)
        lx, ly = centre + (radius + 14) * math.cos(angle), centre + (radius + 14) * math.sin(angle)
        nodes.append({"name": name, "x": round(x, 1), "y": round(y, 1), "lx": round(lx, 1), "ly": round(ly + 4, 1),
                      "anchor": "start" if math.cos(angle) > 0.2 else "end" if math.cos(angle) < -0.2 else "middle"})
    counts = [c for c in (e.get("count") for e in edges) if isinstance(c, (int, float))]
    most = max(counts, default=1) or 1
    drawn = []
    for edge in edges:
        source, target = str(edge.get("source", "")), str(edge.get("target", ""))
        if source not in at or target not in at or source == target:
            continue
        (x1, y1), (x2, y2) = at[source], at[target]
        length = math.hypot(x2 - x1, y2 - y1) or 1
        # stop short of the node's circle, and bend aside so that a -> b and b -> a do not overlap
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        raw = edge.get("count")
        count = raw if isinstance(raw, (int, float)) else 1
        drawn.append({"x1": round(x1 + ux * 10 - uy * 4, 1), "y1": round(y1 + uy * 10 + ux * 4, 1),
                      "x2": round(x2 - ux * 14 - uy * 4, 1), "y2": round(y2 - uy * 14 + ux * 4, 1),
                      "width": round(1 + 4 * float(count) / most, 1), "label": f"{edge.get('kind', '')} ×{count}",
                      "title": f"{source} → {target}: {edge.get('kind', '')} ×{count}"})
    return {"size": size, "nodes": nodes, "edges": drawn}
