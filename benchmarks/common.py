"""Helpers for benchmarks: every figure is printed beside a baseline measured in the same run."""
from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["timeit", "percentile", "summary", "report", "Row"]

Row = dict[str, Any]


def timeit(fn: Callable[[], Any], repeat: int, *, warmup: int = 3) -> list[float]:
    """Seconds per call of ``fn``, ``repeat`` times after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {"p50": statistics.median(samples), "p99": percentile(samples, 99), "n": len(samples)}


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def report(title: str, rows: Sequence[Row], *, as_json: bool = False) -> None:
    """Print rows ``{"metric", "value", "baseline_name", "baseline", "target"}`` with the ratio value/baseline.

    Values are seconds unless the row says ``"unit": "count"``.
    """
    if as_json:
        print(json.dumps({"benchmark": title, "rows": [dict(r, ratio=_ratio(r)) for r in rows]}, indent=2))
        return
    print(f"\n== {title}")
    for r in rows:
        ratio = _ratio(r)
        count = r.get("unit") == "count"
        shown = (lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)) if count else _fmt
        base = f"  vs {r['baseline_name']} {shown(r['baseline'])}  ratio {ratio:.2f}x" if r.get("baseline") else ""
        target = f"  (target: {r['target']})" if r.get("target") else ""
        value = shown(r["value"])
        print(f"  {r['metric']:<44} {value:>10}{base}{target}")


def _ratio(row: Row) -> float | None:
    base = row.get("baseline")
    return row["value"] / base if base else None
