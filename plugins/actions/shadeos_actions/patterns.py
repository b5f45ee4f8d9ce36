"""Patterns in the record: frequent sequences per role, repeated failures, ping-pong, idle loops, drifts.

Each found pattern is a dict ``{"pattern", "key", "title", "daemons", "count", "first", "last",
"evidence": [lines], …}``; ``key`` names it stably (the same pattern found again has the same key).
"""
from __future__ import annotations

import statistics
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .records import Record, error_text, failed, idle, role, tokens
from .settings import ActionsSettings

__all__ = ["Patterns", "CycleStats"]

#: Kinds left out of sequences: about the team or the supervision, not what a daemon chose to do.
_NOT_ACTIONS = frozenset({"late", "state", "orphans", "flood", "fault", "disk"})
_NOTHING = "nothing-to-do"


def _iso(t: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@dataclass
class CycleStats:
    """One daemon's cycles: how many, how many did nothing, what they cost, how long they took."""

    cycles: int = 0
    idle: int = 0
    nothing: int = 0
    idle_tokens: int = 0
    streak: int = 0
    longest: int = 0
    first: float = 0.0
    last: float = 0.0
    durations: array = field(default_factory=lambda: array("d"))  # type: ignore[type-arg]
    spent: array = field(default_factory=lambda: array("d"))  # type: ignore[type-arg]
    by_phase: dict[str, list[int]] = field(default_factory=dict)  # phase -> [cycles, idle, tokens]

    def interval(self) -> float | None:
        """The mean time between two cycles."""
        return (self.last - self.first) / (self.cycles - 1) if self.cycles > 1 else None


def _drift(values: Any, floor: float) -> tuple[float, float] | None:
    """``(before, after)``: medians of the first and last thirds when the last is 1.5 times the first or more."""
    n = len(values)
    if n < 6:
        return None
    third = n // 3
    before, after = statistics.median(values[:third]), statistics.median(values[-third:])
    if after >= 1.5 * before and after - before >= floor:
        return before, after
    return None


class Patterns:
    def __init__(self, settings: ActionsSettings | None = None) -> None:
        self.settings = settings or ActionsSettings()
        self.phase = ""
        self.sequences: Counter[tuple[str, str, str, str]] = Counter()
        self._recent: dict[str, tuple[str, str]] = {}
        self._failures: dict[tuple[str, str, str], list[Any]] = {}
        self._editor: dict[str, str] = {}
        self._switches: dict[tuple[str, str, str], list[Any]] = {}
        self.cycles: dict[str, CycleStats] = {}

    # -- feeding -------------------------------------------------------------------------------
    def feed(self, record: Record, bad: bool | None = None) -> None:
        """Take ``record`` into account; ``bad`` is :func:`failed` of it when the caller knows it already."""
        daemon, kind = record["daemon"], record["kind"]
        if kind == "phase" and isinstance(record["data"].get("phase"), str):
            self.phase = record["data"]["phase"]
        if not daemon or kind in _NOT_ACTIONS:
            return
        a, b = self._recent.get(daemon, ("", ""))
        if a:
            self.sequences[(role(daemon), a, b, kind)] += 1
        self._recent[daemon] = (b, kind)
        if kind == "cycle":
            self._cycle(daemon, record)
        elif kind == "agent_cycle":
            self._agent_cycle(daemon, record)
        elif kind in ("edit", "commit"):
            self._edited(daemon, record)
        if record["data"] and (failed(record) if bad is None else bad) and \
                (kind != "cycle" or record["data"].get("error")):
            key = (daemon, kind, error_text(record))
            seen = self._failures.get(key)
            if seen is None:
                self._failures[key] = [1, record["time"], record["time"]]
            else:
                seen[0] += 1
                seen[2] = record["time"]

    def _stats(self, daemon: str) -> CycleStats:
        stats = self.cycles.get(daemon)
        if stats is None:
            stats = self.cycles[daemon] = CycleStats()
        return stats

    def _cycle(self, daemon: str, record: Record) -> None:
        stats, t = self._stats(daemon), record["time"]
        stats.cycles += 1
        stats.first = stats.first or t
        stats.last = t
        d = record["data"].get("duration")
        if isinstance(d, (int, float)):
            stats.durations.append(float(d))
        phase = stats.by_phase.setdefault(self.phase, [0, 0, 0])
        phase[0] += 1
        if idle(record):
            stats.idle += 1
            phase[1] += 1

    def _agent_cycle(self, daemon: str, record: Record) -> None:
        stats = self._stats(daemon)
        spent = sum(tokens(record))
        stats.spent.append(float(spent))
        if record["data"].get("outcome") == _NOTHING:
            stats.nothing += 1
            stats.idle_tokens += spent
            stats.by_phase.setdefault(self.phase, [0, 0, 0])[2] += spent
            stats.streak += 1
            stats.longest = max(stats.longest, stats.streak)
        else:
            stats.streak = 0

    def _edited(self, daemon: str, record: Record) -> None:
        data = record["data"]
        if record["kind"] == "edit":
            if data.get("outcome", "applied") != "applied":
                return
            changed = [data.get("path")]
        else:
            changed = data.get("paths") if isinstance(data.get("paths"), list) else []
        for path in changed:
            if not isinstance(path, str):
                continue
            before = self._editor.get(path)
            self._editor[path] = daemon
            if before is not None and before != daemon:
                a, b = sorted((before, daemon))
                seen = self._switches.get((path, a, b))
                if seen is None:
                    self._switches[(path, a, b)] = [1, record["time"], record["time"]]
                else:
                    seen[0] += 1
                    seen[2] = record["time"]

    # -- reading -------------------------------------------------------------------------------
    def found(self) -> list[dict[str, Any]]:
        s = self.settings
        out: list[dict[str, Any]] = []
        out += self.frequent_sequences()
        for (daemon, kind, signature), (count, first, last) in sorted(self._failures.items()):
            if count >= s.repeat:
                out.append({"pattern": "repeated_failure", "key": f"repeated_failure:{daemon}:{kind}:{signature}",
                            "title": f"{daemon}: the same {kind} failure {count} times", "daemons": [daemon],
                            "kind": kind, "error": signature, "count": count, "first": first, "last": last,
                            "evidence": [f"{count} × {kind} by {daemon} failed with: {signature}",
                                         f"first {_iso(first)}, last {_iso(last)}"]})
        for (path, a, b), (count, first, last) in sorted(self._switches.items()):
            if count >= s.ping_pong:
                out.append({"pattern": "ping_pong", "key": f"ping_pong:{path}:{a}:{b}",
                            "title": f"{a} and {b} change {path} back and forth", "daemons": [a, b], "path": path,
                            "count": count, "first": first, "last": last,
                            "evidence": [f"{path} changed hands between {a} and {b} {count} times",
                                         f"first {_iso(first)}, last {_iso(last)}"]})
        for daemon, stats in sorted(self.cycles.items()):
            out += self._idle(daemon, stats) + self._drifts(daemon, stats)
        return out

    def frequent_sequences(self, per_role: int = 3, support: int = 5) -> list[dict[str, Any]]:
        by_role: dict[str, list[tuple[int, tuple[str, str, str]]]] = {}
        for (r, a, b, c), count in self.sequences.items():
            if count >= support:
                by_role.setdefault(r, []).append((count, (a, b, c)))
        out = []
        for r, seqs in sorted(by_role.items()):
            total = sum(count for (rr, *_), count in self.sequences.items() if rr == r)
            for count, seq in sorted(seqs, key=lambda x: (-x[0], x[1]))[:per_role]:
                out.append({"pattern": "sequence", "key": f"sequence:{r}:{'>'.join(seq)}",
                            "title": f"{r}: {' → '.join(seq)}", "role": r, "sequence": list(seq), "count": count,
                            "share": round(count / total, 3) if total else 0.0, "daemons": [],
                            "evidence": [f"{count} of {total} steps of role {r} start this sequence"]})
        return out

    def _idle(self, daemon: str, stats: CycleStats) -> list[dict[str, Any]]:
        s = self.settings
        if stats.cycles < s.min_cycles:
            return []
        idle_share = stats.idle / stats.cycles
        looping = stats.longest >= s.min_cycles or (idle_share >= 0.8 and (stats.nothing or stats.idle_tokens))
        if not looping:
            return []
        phases = {p or "(none)": {"cycles": c, "idle": i, "tokens": t} for p, (c, i, t) in stats.by_phase.items()}
        evidence = [f"{stats.idle} of {stats.cycles} cycles of {daemon} were idle ({idle_share:.0%})"]
        if stats.nothing:
            evidence.append(f"{stats.nothing} ended in nothing-to-do, {stats.longest} in a row at most, "
                            f"costing {stats.idle_tokens} tokens")
        interval = stats.interval()
        if interval is not None:
            evidence.append(f"a cycle every {interval:.1f}s on average")
        return [{"pattern": "idle_loop", "key": f"idle_loop:{daemon}", "title": f"{daemon} cycles without effect",
                 "daemons": [daemon], "count": stats.idle, "cycles": stats.cycles, "idle_share": round(idle_share, 3),
                 "idle_tokens": stats.idle_tokens, "longest_streak": stats.longest, "interval": interval,
                 "phases": phases, "first": stats.first, "last": stats.last, "evidence": evidence}]

    def _drifts(self, daemon: str, stats: CycleStats) -> list[dict[str, Any]]:
        out = []
        if len(stats.durations) >= 2 * self.settings.min_cycles:
            drift = _drift(stats.durations, 0.05)
            if drift:
                out.append(("cycle time", "s", drift, len(stats.durations)))
        if len(stats.spent) >= 2 * self.settings.min_cycles:
            drift = _drift(stats.spent, 50.0)
            if drift:
                out.append(("tokens per cycle", " tokens", drift, len(stats.spent)))
        return [{"pattern": "drift", "key": f"drift:{daemon}:{what}", "title": f"{daemon}: {what} grows",
                 "daemons": [daemon], "measure": what, "before": before, "after": after, "count": n,
                 "first": stats.first, "last": stats.last,
                 "evidence": [f"{what} of {daemon}: median {before:.3g}{unit} over its first third of {n} cycles, "
                              f"{after:.3g}{unit} over its last third ({after / before if before else float('inf'):.1f}×)"]}
                for what, unit, (before, after), n in out]
