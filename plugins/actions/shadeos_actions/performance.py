"""Performance per daemon and per action kind: count, p50/p95 duration, tokens, failure rate, share of spend."""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

from .records import Record, duration, failed, tokens

__all__ = ["Performance", "quantile"]

#: The kinds whose tokens are the team's spend: each model call once. When no model call is recorded
#: (an older agents plugin), the agent cycles' totals stand for them.
SPEND_KINDS = ("model_call", "agent_cycle")


def quantile(ordered: Any, q: float) -> float | None:
    """The ``q`` quantile (0..1, nearest rank) of sorted values; ``None`` for none."""
    if not len(ordered):
        return None
    return float(ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))])


@dataclass
class _Row:
    count: int = 0
    failures: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    durations: array = field(default_factory=lambda: array("d"))  # type: ignore[type-arg]


class Performance:
    """Fed every record of a window (:meth:`feed`), then read as rows (:meth:`rows`)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], _Row] = {}

    def feed(self, record: Record, bad: bool | None = None) -> None:
        """Count ``record``; ``bad`` is :func:`failed` of it when the caller knows it already."""
        key = (record["daemon"], record["kind"])
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = _Row()
        row.count += 1
        data = record["data"]
        if data:
            d = duration(record)
            if d is not None:
                row.durations.append(d)
            if "input_tokens" in data or "output_tokens" in data:
                i, o = tokens(record)
                row.input_tokens += i
                row.output_tokens += o
            if failed(record) if bad is None else bad:
                row.failures += 1
        elif record["kind"] in ("crashed", "fatal"):
            row.failures += 1

    def spend_kind(self) -> str | None:
        for kind in SPEND_KINDS:
            if any(k == kind and (r.input_tokens or r.output_tokens) for (_, k), r in self._rows.items()):
                return kind
        return None

    def rows(self) -> list[dict[str, Any]]:
        """One row per (daemon, kind), the daemons in name order, a daemon's busiest kinds first."""
        spend = self.spend_kind()
        total = sum(r.input_tokens + r.output_tokens for (_, k), r in self._rows.items() if k == spend)
        out = []
        for (daemon, kind), row in sorted(self._rows.items(), key=lambda kv: (kv[0][0], -kv[1].count, kv[0][1])):
            ordered = sorted(row.durations)
            used = row.input_tokens + row.output_tokens
            out.append({"daemon": daemon, "kind": kind, "count": row.count, "p50": quantile(ordered, 0.5),
                        "p95": quantile(ordered, 0.95), "input_tokens": row.input_tokens,
                        "output_tokens": row.output_tokens,
                        "failure_rate": round(row.failures / row.count, 4) if row.count else 0.0,
                        "share": round(min(1.0, used / total), 4) if total and used else 0.0})
        return out

    def spend_by_daemon(self) -> dict[str, int]:
        """Tokens (in + out) each daemon spent."""
        spend = self.spend_kind()
        out: dict[str, int] = {}
        for (daemon, kind), row in self._rows.items():
            if kind == spend:
                out[daemon] = out.get(daemon, 0) + row.input_tokens + row.output_tokens
        return out
