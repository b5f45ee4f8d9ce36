"""Soft purge: stale and malformed luciorbes are moved under ``.kin/quarantine/luciorbes/`` and expire later.

Each quarantined file ``<item>.luciorbe`` (its exact bytes) has a sidecar
``<item>.json``::

    {"original_path": "src/.luciorbe.coding.production", "state": "stale",
     "detail": "silent for 900s, threshold 15s", "daemon_id": "coding.production",
     "quarantined_at": "2026-11-20T14:31:05.000Z", "quarantined_ts": 1763649065.0}

Items older than ``quarantine_expiry`` (kin.toml ``[luciorbe]``, default 7 days,
judged against the setting in force when the janitor runs) are deleted. The
quarantined names do not look like luciorbes, so no walk ever finds them again.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shadeos_core.fsio import atomic_write_json, read_json
from shadeos_core.janitor import Cleanup
from shadeos_core.luciorbe import iso_now
from shadeos_core.workspace import Workspace

from . import guard
from .sighting import Sighting, relative_path

__all__ = ["Quarantine", "QuarantinedItem"]

_DATA = ".luciorbe"
_SIDECAR = ".json"


@dataclass
class QuarantinedItem:
    """One quarantined luciorbe: where it came from and when it was put away."""

    sidecar: Path
    data: Path
    original_path: str
    quarantined_ts: float
    record: dict[str, Any]


class Quarantine:
    """The luciorbe part of ``.kin/quarantine/``."""

    def __init__(self, workspace: Workspace, expiry: float) -> None:
        self.workspace = workspace
        self.expiry = expiry

    @property
    def directory(self) -> Path:
        return self.workspace.kin_dir / "quarantine" / "luciorbes"

    def put(self, sighting: Sighting) -> str:
        """Move the classified file into quarantine; returns the quarantined path (relative to the workspace).

        Raises :class:`guard.Changed` (and leaves nothing behind) when the file is not the one classified.
        """
        directory = self.workspace.state_dir("quarantine", "luciorbes")
        now = time.time()
        item = f"{int(now * 1000)}-{os.getpid()}-{secrets.token_hex(4)}"
        sidecar = directory / f"{item}{_SIDECAR}"
        data = directory / f"{item}{_DATA}"
        # The sidecar first: an interruption leaves a record without data, never data without its origin.
        atomic_write_json(sidecar, {
            "original_path": relative_path(self.workspace.root, sighting.path), "absolute_path": sighting.path,
            "state": sighting.state, "detail": sighting.detail, "daemon_id": sighting.daemon_id,
            "quarantined_at": iso_now(now), "quarantined_ts": now, "expires_after_s": self.expiry,
        })
        try:
            guard.move(sighting, str(data))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                sidecar.unlink()
            raise
        return self.workspace.relative(data)

    def items(self) -> list[QuarantinedItem]:
        """Every quarantined luciorbe, oldest first (unreadable sidecars are dated by their change time)."""
        found: list[QuarantinedItem] = []
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return found
        names = {e.name for e in entries}
        for entry in entries:
            stem, is_sidecar = (entry.name[: -len(_SIDECAR)], True) if entry.name.endswith(_SIDECAR) else \
                (entry.name[: -len(_DATA)], False) if entry.name.endswith(_DATA) else ("", False)
            if not stem or (not is_sidecar and f"{stem}{_SIDECAR}" in names):
                continue  # not ours, or a data file that its sidecar describes
            record: dict[str, Any] = {}
            with contextlib.suppress(OSError, ValueError):
                loaded = read_json(entry.path) if is_sidecar else {}
                record = loaded if isinstance(loaded, dict) else {}
            stamp = record.get("quarantined_ts")
            if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
                try:
                    stamp = entry.stat(follow_symlinks=False).st_ctime
                except FileNotFoundError:
                    continue
            found.append(QuarantinedItem(self.directory / f"{stem}{_SIDECAR}", self.directory / f"{stem}{_DATA}",
                                         str(record.get("original_path", "")), float(stamp), record))
        return sorted(found, key=lambda item: item.quarantined_ts)

    def expire(self, *, now: float | None = None, dry_run: bool = False) -> list[Cleanup]:
        """Delete items quarantined longer than the expiry; one ``Cleanup`` (state ``expired``) per item.

        With ``dry_run`` nothing is deleted and each ``Cleanup`` says what would be (``dry_run: true``).
        """
        moment = time.time() if now is None else now
        done: list[Cleanup] = []
        for item in self.items():
            age = moment - item.quarantined_ts
            if age < self.expiry:
                continue
            if not dry_run:
                for path in (item.data, item.sidecar):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
            done.append(Cleanup(self.workspace.relative(item.data), "expired", "removed",
                                f"quarantined {age:.0f}s ago (expiry {self.expiry:g}s)",
                                {"original_path": item.original_path, "dry_run": dry_run}))
        return done
