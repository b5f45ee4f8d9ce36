"""What the analysis learned, into memory through the archivist's ``memory_store`` hook.

- a day that is over becomes one **somatic** memory: what each daemon did that day;
- a pattern found (repeated failure, ping-pong, idle loop, drift) becomes one
  **cognitive** memory with its evidence (in the text and in ``metadata``),
  linked (``immanence``: toward the concrete) to the somatic memory of each day
  its records fall on, once that day is over and stored (``memory_link``);
- a habit a role keeps (its most frequent sequence of actions, seen often)
  becomes one **metaphysical** memory: a convention the team adopted.

Each memory has a stable key (``day:…``, the pattern's key, ``convention:…``);
``.kin/actions/memories.json`` maps each key stored to its memory id (and
records each link made, and the days a pattern spans), so a re-run stores and
links nothing twice. Nothing is stored when no archivist is installed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadeos_core.fsio import atomic_write_json, file_lock, read_json

from .recorder import day_of

if TYPE_CHECKING:
    from shadeos_core.hooks import Hooks
    from shadeos_core.workspace import Workspace

    from .store import ActionStore

__all__ = ["Strata", "Stored", "day_counts"]

AUTHOR = "actions"
#: A role's top sequence seen this many times is a convention it adopted.
CONVENTION_SUPPORT = 10


@dataclass
class Stored:
    stored: list[dict[str, str]] = field(default_factory=list)
    skipped: int = 0
    linked: int = 0
    available: bool = True


class Strata:
    def __init__(self, hooks: Hooks, workspace: Workspace, directory: Path) -> None:
        self.hooks = hooks
        self.workspace = workspace
        self.ledger = directory / "memories.json"

    @property
    def available(self) -> bool:
        return self.hooks.has("memory_store")

    def candidates(self, days: dict[str, dict[str, int]], patterns: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The memories ``days`` (actions per daemon of each day over) and ``patterns`` make."""
        out = []
        for day, per_daemon in sorted(days.items()):
            if not per_daemon:
                continue
            busiest = sorted(per_daemon.items(), key=lambda kv: (-kv[1], kv[0]))
            lines = ", ".join(f"{d or '(team)'} {n}" for d, n in busiest[:20])
            out.append({"key": f"day:{day}", "stratum": "somatic", "namespace": "global",
                        "summary": f"actions of {day}: {sum(per_daemon.values())} by {len(per_daemon)} daemons",
                        "content": f"On {day} the team recorded {sum(per_daemon.values())} actions: {lines}.",
                        "keywords": ["actions", "daily", day], "metadata": {"day": day, "actions": per_daemon}})
        habits: set[str] = set()
        for p in patterns:
            if p["pattern"] == "sequence":
                if p["count"] < CONVENTION_SUPPORT or p["share"] < 0.1 or p["role"] in habits:
                    continue
                habits.add(p["role"])  # a role's top sequence only: the others are mostly its rotations
                out.append({"key": f"convention:{p['role']}:{'>'.join(p['sequence'])}", "stratum": "metaphysical",
                            "namespace": "global", "summary": f"role {p['role']} works as {' → '.join(p['sequence'])}",
                            "content": f"Convention of role {p['role']}: it acts as {' → '.join(p['sequence'])} "
                                       f"({p['count']} times, {p['share']:.0%} of its steps).",
                            "keywords": ["convention", p["role"], *p["sequence"]],
                            "metadata": {"pattern": p["key"], "evidence": p["evidence"]}})
                continue
            daemons = p.get("daemons") or []
            namespace = (f"daemons/{daemons[0]}" if len(daemons) == 1 else
                         f"collaborations/{'+'.join(sorted(daemons))}" if daemons else "global")
            out.append({"key": p["key"], "stratum": "cognitive", "namespace": namespace, "summary": p["title"],
                        "days": _days_between(p.get("first"), p.get("last")),
                        "content": f"{p['title']}. Evidence: " + "; ".join(p["evidence"]),
                        "keywords": ["pattern", p["pattern"], *daemons],
                        "metadata": {"pattern": p["pattern"], "key": p["key"], "evidence": p["evidence"],
                                     "records": {"daemons": daemons, "first": p.get("first"), "last": p.get("last")}}})
        return out

    def sync(self, store: ActionStore, patterns: list[dict[str, Any]], *, now: float | None = None) -> Stored:
        """Store each memory not stored before: the days of ``store`` that are over, and ``patterns``."""
        result = Stored(available=self.available)
        if not result.available:
            return result
        today = day_of(time.time() if now is None else now)
        self.ledger.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(self.ledger.with_suffix(".lock")):
            known = self._known()
            over = [day for day in store.days() if day < today]
            days = {day: day_counts(store, day) for day in over if f"day:{day}" not in known}
            result.skipped += len(over) - len(days)
            for memory in self.candidates(days, patterns):
                if memory["key"] in known:
                    result.skipped += 1
                    continue
                memory_id = self.hooks.call("memory_store", workspace=self.workspace, stratum=memory["stratum"],
                                            content=memory["content"], namespace=memory["namespace"],
                                            summary=memory["summary"], keywords=memory["keywords"],
                                            metadata={**memory["metadata"], "actions_key": memory["key"]},
                                            author=AUTHOR)
                known[memory["key"]] = str(memory_id)
                if memory.get("days"):
                    known[f"span:{memory['key']}"] = " ".join(memory["days"])
                atomic_write_json(self.ledger, known)  # after each: a failure later loses nothing stored
                result.stored.append({"key": memory["key"], "id": str(memory_id), "stratum": memory["stratum"]})
            result.linked = self._link(known)
        return result

    def _link(self, known: dict[str, str]) -> int:
        """Link each stored pattern to the stored memory of every day its records fall on (days stored later
        are linked on a later run); how many links were made."""
        if not self.hooks.has("memory_link"):
            return 0
        made = 0
        for span_key, days in list(known.items()):
            if not span_key.startswith("span:"):
                continue
            key = span_key.removeprefix("span:")
            for day in days.split():
                link_key = f"link:{key}>{day}"
                if key not in known or f"day:{day}" not in known or link_key in known:
                    continue
                self.hooks.call("memory_link", workspace=self.workspace, source=known[key],
                                target=known[f"day:{day}"], link_type="immanence")
                known[link_key] = "immanence"
                atomic_write_json(self.ledger, known)
                made += 1
        return made

    def _known(self) -> dict[str, str]:
        try:
            value = read_json(self.ledger)
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def day_counts(store: ActionStore, day: str) -> dict[str, int]:
    """Actions per daemon on ``day`` (``""``: the team's own events)."""
    from .store import Query

    start = _day_start(day)
    counts: dict[str, int] = {}
    for record in store.read(Query(since=start, until=start + 86400 - 1e-6)):
        counts[record["daemon"]] = counts.get(record["daemon"], 0) + 1
    return counts


def _days_between(first: Any, last: Any, limit: int = 62) -> list[str]:
    """The UTC days from the time ``first`` to the time ``last`` (at most ``limit``); ``[]`` without both."""
    if not isinstance(first, (int, float)) or not isinstance(last, (int, float)) or last < first:
        return []
    start = _day_start(day_of(float(first)))
    return [day_of(start + 86400 * i) for i in range(min(limit, int((float(last) - start) // 86400) + 1))]


def _day_start(day: str) -> float:
    import calendar

    return float(calendar.timegm(time.strptime(day, "%Y-%m-%d")))
