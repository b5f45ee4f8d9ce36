"""Maildir-style mailboxes: ``.kin/mail/<daemon_id>/{tmp,new,cur,dead}``.

A sender writes ``tmp/<name>`` and renames it into ``new/``; the receiver
claims a message by renaming it into ``cur/`` and acknowledges it by deleting
it. File names ``<priority>-<ns>-<pid>-<seq>.json`` sort into priority, then
FIFO order. Delivery is at-least-once: messages still in ``cur/`` when a
receiver dies go back to ``new/`` when it starts again (:meth:`Mailbox.recover`).

A delivery that fails (its handling raised, or the receiver died while on it)
comes back renamed ``<name>.r<N>.json`` for try N; after
:data:`MAX_DELIVERIES` failed deliveries the message goes to ``dead/``
beside a ``<name>.why.json`` saying what rejected it, and the receiver goes
on with the next one. ``kin mail dead`` lists them.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .fsio import atomic_write_json, dumps_json, loads_json, read_json
from .workspace import Workspace, check_name

__all__ = ["Mailbox", "Message", "PRIORITIES", "priority_value", "MAX_DELIVERIES", "DeadLetter", "dead_letters"]

log = logging.getLogger(__name__)

PRIORITIES = {"urgent": 0, "high": 2, "normal": 5, "low": 8}
#: Failed deliveries of one message before it goes to the dead letters.
MAX_DELIVERIES = 3
_TRY = re.compile(r"^(?P<base>.+?)(?:\.r(?P<try>\d+))?\.json$")
_SEQ = itertools.count()
_SEQ_LOCK = threading.Lock()
_SENDERS: dict[tuple[str, str], Mailbox] = {}


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

    @property
    def tries(self) -> int:
        """Which delivery this is: 1 the first time, more after failed ones."""
        match = _TRY.match(self.name)
        return int(match.group("try")) if match and match.group("try") else 1

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
        self.dead_dir = self.root / "dead"
        self._make_dirs()

    def _make_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for directory in (self.tmp, self.new, self.cur):
            directory.mkdir(exist_ok=True)

    # -- sending -----------------------------------------------------------
    @classmethod
    def send(cls, workspace: Workspace, target: str, body: Any, *, sender: str = "",
             priority: int | str = "normal", kind: str = "message") -> Message:
        """Deliver ``body`` to ``target``'s mailbox atomically; returns the message as written."""
        return cls._to(workspace, target).deliver(body, sender=sender, priority=priority, kind=kind)

    @classmethod
    def _to(cls, workspace: Workspace, target: str) -> Mailbox:
        # The directories of a mailbox this process already wrote to are not made again on each send
        # (four mkdir calls); should they vanish, deliver() makes them again.
        key = (str(workspace.root), target)
        box = _SENDERS.get(key)
        if box is None:
            box = cls(workspace, target)
            if len(_SENDERS) >= 512:
                _SENDERS.clear()
            _SENDERS[key] = box
        return box

    def deliver(self, body: Any, *, sender: str = "", priority: int | str = "normal", kind: str = "message") -> Message:
        prio = priority_value(priority)
        with _SEQ_LOCK:
            seq = next(_SEQ)
        name = f"{prio}-{time.time_ns():020d}-{os.getpid()}-{seq:06d}.json"
        message = Message(body=body, sender=sender, target=self.daemon_id, priority=prio, kind=kind,
                          sent_at=time.time(), name=name)
        try:
            payload = dumps_json(message.to_json()).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise UsageError(f"message body is not JSON-serialisable: {exc}") from None
        try:
            self._write(name, payload)
        except FileNotFoundError:  # the mailbox was removed since this process made it
            self._make_dirs()
            self._write(name, payload)
        message.path = self.new / name
        return message

    def _write(self, name: str, payload: bytes) -> None:
        tmp = self.tmp / name
        with open(tmp, "wb") as handle:
            handle.write(payload)
        os.rename(tmp, self.new / name)

    # -- receiving ---------------------------------------------------------
    def recover(self) -> int:
        """Put messages claimed but never acknowledged back into ``new/``: their receiver died on them, which
        counts as a failed delivery (see :meth:`fail`). Returns how many went back."""
        count = 0
        for name in sorted(os.listdir(self.cur)):
            if not name.endswith(".json"):
                continue
            message = Message(body=None, target=self.daemon_id, name=name, path=self.cur / name)
            with contextlib.suppress(FileNotFoundError):
                if self.fail(message, "the receiver died while handling it") == "retry":
                    count += 1
        return count

    def release(self, messages: list[Message]) -> None:
        """Give claimed messages back as they were (the receiver stops before handling them: not a failure)."""
        for message in messages:
            if message.path is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.rename(message.path, self.new / message.name)

    def fail(self, message: Message, error: str) -> str:
        """A delivery of ``message`` failed with ``error``: deliver it again (``"retry"``), or, after
        :data:`MAX_DELIVERIES` tries, move it to ``dead/`` with the error (``"dead"``)."""
        if message.path is None:
            return "retry"
        tries = message.tries
        match = _TRY.match(message.name)
        base = match.group("base") if match else message.name.removesuffix(".json")
        if tries >= MAX_DELIVERIES:
            self.dead_dir.mkdir(exist_ok=True)
            why = {"schema": 1, "daemon_id": self.daemon_id, "name": f"{base}.json", "tries": tries,
                   "error": error[:2000], "dead_at": time.time()}
            atomic_write_json(self.dead_dir / f"{base}.why.json", why, indent=None)
            os.rename(message.path, self.dead_dir / f"{base}.json")
            log.warning("mailbox %s: message %s moved to the dead letters after %d failed deliveries: %s",
                        self.daemon_id, base, tries, error.splitlines()[0][:300] if error else "")
            return "dead"
        os.rename(message.path, self.new / f"{base}.r{tries + 1}.json")
        return "retry"

    def dead(self) -> list[DeadLetter]:
        """The dead letters of this mailbox, oldest first."""
        return _dead_in(self.dead_dir, self.daemon_id)

    def requeue(self, name: str) -> bool:
        """Deliver a dead letter again, as new (its failed tries forgotten); ``False`` when there is no such one."""
        base = name.removesuffix(".json")
        source = self.dead_dir / f"{base}.json"
        try:
            os.rename(source, self.new / f"{base}.json")
        except FileNotFoundError:
            return False
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.dead_dir / f"{base}.why.json")
        return True

    def fate(self, name: str) -> str | None:
        """What became of message ``name`` (as :meth:`deliver` named it) if it will never be handled:
        ``"dead"`` (rejected :data:`MAX_DELIVERIES` times) or ``"unreadable"`` (quarantined); else ``None``."""
        base = name.removesuffix(".json")
        if (self.dead_dir / f"{base}.json").exists():
            return "dead"
        try:
            names = os.listdir(self.workspace.kin_dir / "quarantine" / "mail" / self.daemon_id)
        except OSError:
            return None
        tries = f"{base}.r"
        return "unreadable" if any(n == f"{base}.json" or (n.startswith(tries) and not n.endswith(".why.json"))
                                   for n in names) else None

    def pending(self) -> int:
        return sum(1 for name in os.listdir(self.new) if name.endswith(".json"))

    def receive(self, limit: int | None = None) -> list[Message]:
        """Claim waiting messages in priority-then-FIFO order (up to ``limit``).

        A message that failed a delivery before comes alone (never beside
        another that a poison among them could take down with it). A message
        file that cannot be parsed is moved to ``.kin/quarantine/mail/`` and
        skipped. Call :meth:`ack` once a message is handled.
        """
        out: list[Message] = []
        for name in sorted(os.listdir(self.new)):
            if limit is not None and len(out) >= limit:
                break
            if not name.endswith(".json"):
                continue
            retried = (match := _TRY.match(name)) is not None and match.group("try") is not None
            if retried and out:
                continue  # its turn comes in a batch of its own
            claimed = self.cur / name
            try:
                os.rename(self.new / name, claimed)
            except FileNotFoundError:
                continue  # someone else claimed it
            message = self._parse(claimed)
            if message is not None:
                out.append(message)
                if retried:
                    break
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
        except (OSError, ValueError, TypeError, OverflowError) as exc:
            self._quarantine(path, exc)
            return None

    def _quarantine(self, path: Path, exc: Exception) -> None:
        target = self.workspace.state_dir("quarantine", "mail", self.daemon_id) / path.name
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, target)
            with contextlib.suppress(OSError):
                atomic_write_json(target.with_name(target.name.removesuffix(".json") + ".why.json"),
                                  {"schema": 1, "daemon_id": self.daemon_id, "name": path.name, "tries": 1,
                                   "error": f"unreadable: {exc}"[:2000], "dead_at": time.time()}, indent=None)
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


def _dead_in(directory: Path, daemon_id: str, reason: str = "rejected") -> list[DeadLetter]:
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
            why = read_json(directory / f"{name.removesuffix('.json')}.why.json")
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
                found.extend(_dead_in(base / box / "dead", box))
            else:
                found.extend(_dead_in(base / box, box, "unreadable"))
    return sorted(found, key=lambda d: d.dead_at)
