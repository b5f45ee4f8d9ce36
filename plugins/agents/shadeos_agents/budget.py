"""Token budgets: per agent (``tokens_per_hour``, ``tokens_per_day``) and per team (``[agents] tokens_per_day``).

Each agent keeps its spending in ``.kin/agents/<daemon_id>/usage.json``:
tokens (input + output) per minute over the last 24 hours, rewritten
atomically after each model call by that agent alone. A team's spending is
the sum over its agents' files. A spent budget pauses the agent until enough
old minutes leave the window; no model call is made past a budget.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shadeos_core.fsio import atomic_write_json, read_json

__all__ = ["UsageLedger", "Budget", "BudgetSpent", "DAY", "HOUR"]

HOUR = 3600
DAY = 86400


class BudgetSpent(Exception):
    """A budget is spent: ``reason`` names it, ``resume_at`` (epoch seconds) is when the window frees."""

    def __init__(self, reason: str, resume_at: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.resume_at = resume_at

    @property
    def line(self) -> str:
        return f"paused: {self.reason}, resumes at {time.strftime('%H:%M', time.localtime(self.resume_at))}"


def _load(path: Path) -> dict[int, int]:
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return {}
    minutes = data.get("minutes") if isinstance(data, dict) else None
    out: dict[int, int] = {}
    if isinstance(minutes, dict):
        for key, value in minutes.items():
            with contextlib.suppress(ValueError, TypeError):
                if isinstance(value, int) and value >= 0:
                    out[int(key)] = value
    return out


@dataclass
class UsageLedger:
    """Tokens spent per minute by one agent (its own file, written only by itself)."""

    path: Path

    def __post_init__(self) -> None:
        self.minutes = _load(self.path)

    def add(self, tokens: int, now: float | None = None) -> None:
        if tokens <= 0:
            return
        now = time.time() if now is None else now
        minute = int(now // 60)
        self.minutes[minute] = self.minutes.get(minute, 0) + tokens
        oldest = minute - DAY // 60
        self.minutes = {m: t for m, t in self.minutes.items() if m > oldest}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.path, {"schema": 1, "minutes": {str(m): t for m, t in sorted(self.minutes.items())}},
                          indent=None)

    def spent(self, window: int, now: float | None = None) -> int:
        return _spent(self.minutes, window, time.time() if now is None else now)


def _spent(minutes: dict[int, int], window: int, now: float) -> int:
    first = int(now // 60) - window // 60
    return sum(t for m, t in minutes.items() if m > first)


def _resume_at(minutes: dict[int, int], window: int, limit: int, now: float) -> float:
    """When enough of the window's oldest minutes drop out for the spending to be under ``limit``."""
    first = int(now // 60) - window // 60
    live = sorted((m, t) for m, t in minutes.items() if m > first)
    total = sum(t for _m, t in live)
    for minute, tokens in live:
        total -= tokens
        if total < limit:
            return (minute + 1) * 60 + window
    return now + 60


class Budget:
    """The budgets that apply to one agent: its own per hour and per day, and its team's per day."""

    def __init__(self, ledger: UsageLedger, *, per_hour: int | None, per_day: int | None, team_per_day: int | None,
                 team_dir: Path | None = None, team: str = "") -> None:
        self.ledger = ledger
        self.per_hour = per_hour
        self.per_day = per_day
        self.team_per_day = team_per_day
        self.team_dir = team_dir
        self.team = team

    def check(self, now: float | None = None) -> None:
        """Raise :class:`BudgetSpent` when a budget is spent; return when a model call may be made."""
        now = time.time() if now is None else now
        for limit, window, name in ((self.per_hour, HOUR, "tokens_per_hour"), (self.per_day, DAY, "tokens_per_day")):
            if limit is not None:
                spent = self.ledger.spent(window, now)
                if spent >= limit:
                    raise BudgetSpent(f"{name} spent ({spent}/{limit})",
                                      _resume_at(self.ledger.minutes, window, limit, now))
        if self.team_per_day is not None and self.team_dir is not None:
            merged = self.team_minutes()
            spent = _spent(merged, DAY, now)
            if spent >= self.team_per_day:
                raise BudgetSpent(f"team {self.team} tokens_per_day spent ({spent}/{self.team_per_day})",
                                  _resume_at(merged, DAY, self.team_per_day, now))

    def team_minutes(self) -> dict[int, int]:
        merged: dict[int, int] = {}
        assert self.team_dir is not None
        try:
            entries = list(os.scandir(self.team_dir))
        except OSError:
            return merged
        for entry in entries:
            if entry.is_dir() and entry.name.startswith(self.team + "."):
                for minute, tokens in _load(Path(entry.path) / "usage.json").items():
                    merged[minute] = merged.get(minute, 0) + tokens
        return merged

    def to_json(self) -> dict[str, Any]:
        return {"tokens_per_hour": self.per_hour, "tokens_per_day": self.per_day,
                "team_tokens_per_day": self.team_per_day, "spent_hour": self.ledger.spent(HOUR),
                "spent_day": self.ledger.spent(DAY)}
