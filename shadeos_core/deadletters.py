"""Dead letters: the messages of a mailbox that no receiver could handle (``dead/``, beside a ``.why.json``) or
read (``.kin/quarantine/mail/<daemon_id>/``). ``kin mail dead`` lists them."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fsio import atomic_write_json, read_json
from .workspace import Workspace

__all__ = ["DeadLetter", "dead_in", "dead_letters", "why_path", "write_why"]


def why_path(letter: Path) -> Path:
    """Where the ``.why.json`` of the dead letter (or quarantined message) ``letter`` is kept, beside it."""
    return letter.with_name(f"{letter.name.removesuffix('.json')}.why.json")


def write_why(letter: Path, daemon_id: str, error: str, *, tries: int = 1) -> None:
    """Say beside ``letter`` why it is there (what :func:`dead_in` reads back)."""
    atomic_write_json(why_path(letter), {"schema": 1, "daemon_id": daemon_id, "name": letter.name, "tries": tries,
                                         "error": error[:2000], "dead_at": time.time()}, indent=None)


@dataclass
class DeadLetter:
    """A message no receiver could handle (``reason`` ``rejected``) or read (``unreadable``)."""

    daemon_id: str
    name: str
    reason: str
    error: str
    tries: int
    dead_at: float
    sender: str = ""
    kind: str = ""
    path: Path | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"daemon_id": self.daemon_id, "name": self.name, "reason": self.reason, "error": self.error,
                "tries": self.tries, "dead_at": self.dead_at, "sender": self.sender, "kind": self.kind,
                "path": str(self.path) if self.path else None}


def dead_in(directory: Path, daemon_id: str, reason: str = "rejected") -> list[DeadLetter]:
    found: list[DeadLetter] = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return found
    for name in names:
        if not name.endswith(".json") or name.endswith(".why.json"):
            continue
        path = directory / name
        try:
            why = read_json(why_path(path))
            why = why if isinstance(why, dict) else {}
        except (OSError, ValueError):
            why = {}
        try:
            head = read_json(path)
            head = head if isinstance(head, dict) else {}
        except (OSError, ValueError):
            head = {}
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        found.append(DeadLetter(daemon_id, name, reason,
                                str(why.get("error") or "its file could not be read as a message"),
                                int(why.get("tries") or 0) if str(why.get("tries", "")).isdigit() else 0,
                                float(why.get("dead_at") or mtime) if isinstance(why.get("dead_at"), (int, float))
                                else mtime, str(head.get("from", "")), str(head.get("kind", "")), path))
    return found


def dead_letters(workspace: Workspace, daemon_id: str | None = None) -> list[DeadLetter]:
    """Every dead letter of the workspace (or of one mailbox): rejected messages and unreadable ones."""
    found: list[DeadLetter] = []
    for base in (workspace.kin_dir / "mail", workspace.kin_dir / "quarantine" / "mail"):
        try:
            boxes = sorted(os.listdir(base))
        except OSError:
            continue
        for box in boxes:
            if daemon_id is not None and box != daemon_id:
                continue
            if base.parent == workspace.kin_dir:
                found.extend(dead_in(base / box / "dead", box))
            else:
                found.extend(dead_in(base / box, box, "unreadable"))
    return sorted(found, key=lambda d: d.dead_at)
