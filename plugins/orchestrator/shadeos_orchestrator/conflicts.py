"""Conflicts: two daemons whose luciorbes claim the same ``current_file``, or one working inside a
directory another claims exclusively (a luciorbe with ``"exclusive": true``). The later claimant
is told to wait."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .observe import Seen

__all__ = ["Conflict", "ConflictTracker"]


@dataclass(frozen=True)
class Conflict:
    """``waiting`` must wait for ``holder``, who claimed ``target`` first."""

    target: str
    holder: str
    waiting: str
    exclusive: bool = False

    def to_json(self) -> dict[str, object]:
        return {"file": self.target, "holder": self.holder, "waiting": self.waiting, "exclusive": self.exclusive}


def _norm(root: Path, base: Path, name: str) -> str:
    """A claimed path relative to the workspace root, so two spellings of one file compare equal."""
    path = Path(name)
    full = path if path.is_absolute() else root / path
    text = os.path.normpath(full)
    try:
        return Path(text).relative_to(root).as_posix()
    except ValueError:
        return text


class ConflictTracker:
    """Finds conflicts each cycle and remembers who claimed what first."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.first_seen: dict[tuple[str, str], tuple[float, float]] = {}
        self.active: dict[tuple[str, str, str], Conflict] = {}
        self._normed: dict[tuple[Path, str], str] = {}  # claims repeat every cycle: normalise each spelling once

    def _target(self, base: Path, name: str) -> str:
        key = (base, name)
        target = self._normed.get(key)
        if target is None:
            if len(self._normed) > 4096:
                self._normed.clear()
            target = self._normed[key] = _norm(self.root, base, name)
        return target

    def _claims(self, seen: Mapping[str, Sequence[Seen]], now: float) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        files: dict[str, list[str]] = {}
        exclusive: dict[str, list[str]] = {}
        live: set[tuple[str, str]] = set()
        for daemon_id, items in seen.items():
            for item in items:
                luc = item.luciorbe
                claims: list[tuple[str, dict[str, list[str]]]] = []
                if luc.current_file:
                    claims.append((self._target(item.path.parent, luc.current_file), files))
                if luc.extra.get("exclusive") is True:
                    claims.append((self._target(item.path.parent, str(item.path.parent)), exclusive))
                for target, table in claims:
                    key = (daemon_id, target)
                    live.add(key)
                    if key not in self.first_seen:
                        # Order claimants by when we first saw the claim, then by when their task started.
                        self.first_seen[key] = (now, item.updated if not luc.started_at else _started(luc.started_at))
                    if daemon_id not in table.setdefault(target, []):
                        table[target].append(daemon_id)
        for key in list(self.first_seen):
            if key not in live:
                del self.first_seen[key]
        return files, exclusive

    def update(self, seen: Mapping[str, Sequence[Seen]], now: float) -> tuple[list[Conflict], list[Conflict]]:
        """Return (new conflicts, resolved conflicts) since the last call; :attr:`active` holds the current ones."""
        files, exclusive = self._claims(seen, now)
        current: dict[tuple[str, str, str], Conflict] = {}
        for target, claimants in files.items():
            self._pairs(current, target, claimants, False)
        for directory, owners in exclusive.items():
            inside = {d for t, ds in files.items() if t == directory or t.startswith(directory.rstrip("/") + "/")
                      for d in ds}
            inside |= {d for t, ds in exclusive.items() if t.startswith(directory.rstrip("/") + "/") for d in ds}
            self._pairs(current, directory, sorted(set(owners) | inside), True, owners=owners)
        new = [c for k, c in current.items() if k not in self.active]
        resolved = [c for k, c in self.active.items() if k not in current]
        self.active = current
        return new, resolved

    def _pairs(self, out: dict[tuple[str, str, str], Conflict], target: str, claimants: Sequence[str],
               exclusive: bool, owners: Sequence[str] = ()) -> None:
        if len(claimants) < 2:
            return
        order = sorted(claimants, key=lambda d: (self._when(d, target, exclusive and d in owners), d))
        holder = order[0]
        for other in order[1:]:
            out[(target, holder, other)] = Conflict(target, holder, other, exclusive)

    def _when(self, daemon_id: str, target: str, _owner: bool) -> tuple[float, float]:
        return self.first_seen.get((daemon_id, target), (float("inf"), float("inf")))

    def by_daemon(self) -> dict[str, Conflict]:
        """The conflict each daemon is in (as the waiting side when it is both)."""
        out: dict[str, Conflict] = {}
        for conflict in self.active.values():
            out.setdefault(conflict.holder, conflict)
            out[conflict.waiting] = conflict
        return out


def _started(text: str) -> float:
    from shadeos_core.luciorbe import parse_iso

    try:
        return parse_iso(text)
    except ValueError:
        return float("inf")
