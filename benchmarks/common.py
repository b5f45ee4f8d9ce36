"""Helpers for benchmarks: every figure is printed beside a baseline measured in the same run.

A figure and its baseline are measured in alternation (:func:`alternate`,
:func:`alternate_batches`, :func:`interleave`), round after round, so a swing
in machine load hits both alike. The ratio printed is the statistic over all
samples; beside it, the spread of the same ratio computed round by round.
"""
from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["timeit", "percentile", "summary", "report", "Row", "Paired", "alternate", "alternate_batches",
           "interleave", "interleave_batches", "STATS"]

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


#: The statistics a :class:`Paired` row can compare.
STATS: dict[str, Callable[[Sequence[float]], float]] = {
    "p50": statistics.median,
    "p90": lambda s: percentile(s, 90),
    "p99": lambda s: percentile(s, 99),
    "mean": statistics.fmean,
    "min": min,
}


@dataclass
class Paired:
    """Samples (seconds) of a measured operation and of its baseline, taken in alternation, one list per round."""

    measured: list[list[float]]
    baseline: list[list[float]]

    @property
    def rounds(self) -> int:
        return len(self.measured)

    def all(self, which: str = "measured") -> list[float]:
        return [s for r in getattr(self, which) for s in r]

    def ratios(self, stat: str = "p50") -> list[float]:
        """The ratio measured/baseline of ``stat``, one per round."""
        fn = STATS[stat]
        return [fn(m) / fn(b) for m, b in zip(self.measured, self.baseline) if m and b and fn(b) > 0]

    def row(self, metric: str, baseline_name: str, stat: str = "p50", *, target: str | None = None) -> Row:
        """A :func:`report` row: ``stat`` of every sample of each side, their ratio, and the spread of the
        per-round ratios."""
        fn = STATS[stat]
        ratios = self.ratios(stat)
        row: Row = {"metric": metric, "value": fn(self.all("measured")), "baseline_name": f"{baseline_name} {stat}",
                    "baseline": fn(self.all("baseline")), "rounds": self.rounds}
        if ratios:
            row["spread"] = [min(ratios), max(ratios)]
        if target:
            row["target"] = target
        return row


def interleave(fns: Mapping[str, Callable[[], Any]], rounds: int, per_round: int = 1, *,
               warmup: int = 1) -> dict[str, list[list[float]]]:
    """Seconds per call of each function, ``per_round`` calls of each per round, taken in turns.

    The order of the turns rotates from one call to the next, so none always runs
    first (after a pause) or right after another (in its wake).
    """
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    out: dict[str, list[list[float]]] = {name: [] for name in names}
    for r in range(rounds):
        got: dict[str, list[float]] = {name: [] for name in names}
        for i in range(per_round):
            shift = (r + i) % len(names)
            for name in names[shift:] + names[:shift]:
                fn = fns[name]
                start = time.perf_counter()
                fn()
                got[name].append(time.perf_counter() - start)
        for name in names:
            out[name].append(got[name])
    return out


def alternate(measured: Callable[[], Any], baseline: Callable[[], Any], rounds: int = 10, per_round: int = 50,
              *, warmup: int = 3) -> Paired:
    """``measured`` and ``baseline`` called in alternation, ``per_round`` times each per round."""
    got = interleave({"measured": measured, "baseline": baseline}, rounds, per_round, warmup=warmup)
    return Paired(got["measured"], got["baseline"])


def alternate_batches(measured: Callable[[int], Sequence[float]], baseline: Callable[[int], Sequence[float]],
                      rounds: int = 10, per_round: int = 50) -> Paired:
    """For operations that time themselves: ``fn(n)`` returns ``n`` samples (seconds). One batch of each per
    round, the one that goes first alternating from round to round."""
    got = interleave_batches({"measured": measured, "baseline": baseline}, rounds, per_round)
    return Paired(got["measured"], got["baseline"])


def interleave_batches(fns: Mapping[str, Callable[[int], Sequence[float]]], rounds: int,
                       per_round: int) -> dict[str, list[list[float]]]:
    """For operations that time themselves (``fn(n)`` returns ``n`` samples, in seconds): one batch of each
    per round, the order rotating from round to round."""
    names = list(fns)
    out: dict[str, list[list[float]]] = {name: [] for name in names}
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            out[name].append(list(fns[name](per_round)))
    return out


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def report(title: str, rows: Sequence[Row], *, as_json: bool = False) -> None:
    """Print rows ``{"metric", "value", "baseline_name", "baseline", "target"}`` with the ratio value/baseline.

    Values are seconds unless the row says ``"unit": "count"``. A row with ``"spread": [lo, hi]`` (the
    ratio's range over ``"rounds"`` rounds) prints it beside the ratio.
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
        if base and r.get("spread"):
            lo, hi = r["spread"]
            base += f" [{lo:.2f}–{hi:.2f} over {r.get('rounds', '?')} rounds]"
        target = f"  (target: {r['target']})" if r.get("target") else ""
        value = shown(r["value"])
        print(f"  {r['metric']:<44} {value:>10}{base}{target}")


def _ratio(row: Row) -> float | None:
    base = row.get("baseline")
    return row["value"] / base if base else None
