"""Maildir-style mailboxes: ``.kin/mail/<daemon_id>/{tmp,new,cur}``.

A sender writes ``tmp/<name>`` and renames it into ``new/``; the receiver
claims a message by renaming it into ``cur/`` and acknowledges it by deleting
it. File names ``<priority>-<ns>-<pid>-<seq>.json`` sort into priority, then
FIFO order. Delivery is at-least-once: messages still in ``cur/`` when a
receiver dies go back to ``new/`` when it starts again (:meth:`Mailbox.recover`).
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .fsio import loads_json
from .workspace import Workspace, check_name

__all__ = ["Mailbox", "Message", "PRIORITIES", "priority_value"]

log = logging.getLogger(__name__)

PRIORITIES = {"urgent": 0, "high": 2, "normal": 5, "low": 8}
_SEQ = itertools.count()
_SEQ_LOCK = threading.Lock()


def priority_value(priority: int | str) -> int:
    """0 (first) to 9 (last); names: urgent=0, high=2, normal=5, low=8."""
    if isinstance(priority, str) and priority in PRIORITIES:
        return PRIORITIES[priority]
    if isinstance(priority, int) and not isinstance(priority, bool) and 0 <= priority <= 9:
        return priority
    raise UsageError(f"bad message priority {priority!r}", hint="use 0-9 or one of " + ", ".join(PRIORITIES))


@dataclass
class Message:
    """A received message. ``body`` is any JSON value; ``kind`` lets protocols tell messages apart."""

    body: Any
    sender: str = ""
    target: str = ""
    priority: int = 5
    kind: str = "message"
    sent_at: float = 0.0
    name: str = ""
    path: Path | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"schema": 1, "from": self.sender, "to": self.target, "priority": self.priority, "kind": self.kind,
                "sent_at": self.sent_at, "body": self.body}


class Mailbox:
    """The mailbox of one daemon id in a workspace."""

    def __init__(self, workspace: Workspace, daemon_id: str) -> None:
        self.workspace = workspace
        self.daemon_id = check_name(daemon_id, what="mailbox name")
        self.root = workspace.state_dir("mail", daemon_id)
        self.tmp, self.new, self.cur = (self.root / part for part in ("tmp", "new", "cur"))
        for directory in (self.tmp, self.new, self.cur):
            directory.mkdir(exist_ok=True)

    # -- sending -----------------------------------------------------------
    @classmethod
    def send(cls, workspace: Workspace, target: str, body: Any, *, sender: str = "",
             priority: int | str = "normal", kind: str = "message") -> Message:
        """Deliver ``body`` to ``target``'s mailbox atomically; returns the message as written."""
        return cls(workspace, target).deliver(body, sender=sender, priority=priority, kind=kind)

    def deliver(self, body: Any, *, sender: str = "", priority: int | str = "normal", kind: str = "message") -> Message:
        prio = priority_value(priority)
        with _SEQ_LOCK:
            seq = next(_SEQ)
        name = f"{prio}-{time.time_ns():020d}-{os.getpid()}-{seq:06d}.json"
        message = Message(body=body, sender=sender, target=self.daemon_id, priority=prio, kind=kind,
                          sent_at=time.time(), name=name)
        try:
            payload = json.dumps(message.to_json(), ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise UsageError(f"message body is not JSON-serialisable: {exc}") from None
        tmp = self.tmp / name
        with open(tmp, "wb") as handle:
            handle.write(payload)
        os.rename(tmp, self.new / name)
        message.path = self.new / name
        return message

    # -- receiving ---------------------------------------------------------
    def recover(self) -> int:
        """Put messages claimed but never acknowledged (receiver died) back into ``new/``."""
        count = 0
        for name in os.listdir(self.cur):
            with contextlib.suppress(FileNotFoundError):
                os.rename(self.cur / name, self.new / name)
                count += 1
        return count

    def pending(self) -> int:
        return sum(1 for name in os.listdir(self.new) if name.endswith(".json"))

    def receive(self, limit: int | None = None) -> list[Message]:
        """Claim waiting messages in priority-then-FIFO order (up to ``limit``).

        A message file that cannot be parsed is moved to ``.kin/quarantine/mail/``
        and skipped. Call :meth:`ack` once a message is handled.
        """
        out: list[Message] = []
        for name in sorted(os.listdir(self.new)):
            if limit is not None and len(out) >= limit:
                break
            if not name.endswith(".json"):
                continue
            claimed = self.cur / name
            try:
                os.rename(self.new / name, claimed)
            except FileNotFoundError:
                continue  # someone else claimed it
            message = self._parse(claimed)
            if message is not None:
                out.append(message)
        return out

    def ack(self, message: Message) -> None:
        """Acknowledge a handled message: it is deleted and will not come back."""
        if message.path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(message.path)

    def _parse(self, path: Path) -> Message | None:
        try:
            with open(path, "rb") as handle:
                data = loads_json(handle.read())
            if not isinstance(data, dict) or "body" not in data:
                raise ValueError("not a message object")
            return Message(body=data["body"], sender=str(data.get("from", "")), target=self.daemon_id,
                           priority=int(data.get("priority", 5)), kind=str(data.get("kind", "message")),
                           sent_at=float(data.get("sent_at", 0.0)), name=path.name, path=path)
        except (OSError, ValueError, TypeError) as exc:
            self._quarantine(path, exc)
            return None

    def _quarantine(self, path: Path, exc: Exception) -> None:
        target = self.workspace.state_dir("quarantine", "mail", self.daemon_id) / path.name
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, target)
        log.warning("mailbox %s: corrupt message %s moved to %s (%s)", self.daemon_id, path.name, target, exc)

    # -- waiting -------------------------------------------------------------
    def wait(self, timeout: float | None = None, *, poll: float = 0.05) -> bool:
        """Block until a message is waiting (or ``timeout``); True when one is.

        Uses inotify where available, polling otherwise.
        """
        from .inotify import DirectoryWaiter

        deadline = None if timeout is None else time.monotonic() + timeout
        with DirectoryWaiter(self.new) as waiter:
            while True:
                if self.pending():
                    return True
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                waiter.wait(poll if remaining is None else min(remaining, 1.0))
