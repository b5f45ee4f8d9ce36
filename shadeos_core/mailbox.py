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

While a receiver runs, messages to it travel on the mailbox's live lane (see
:mod:`shadeos_core.mailspool`): appended to one spool file, no directory
changed on their way; what the lane holds when its receiver stops becomes
message files again.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .deadletters import DeadLetter, dead_in, dead_letters, why_path, write_why
from .errors import UsageError
from .fsio import atomic_write_bytes, dumps_json, loads_json
from .mailspool import SPOOL, Appender, Process, Spool, SpoolEntry, lane_dir
from .workspace import Workspace, check_name

if TYPE_CHECKING:
    from .inotify import DirectoryWaiter

__all__ = ["Mailbox", "Message", "PRIORITIES", "priority_value", "MAX_DELIVERIES", "DeadLetter", "dead_letters"]

log = logging.getLogger(__name__)

PRIORITIES = {"urgent": 0, "high": 2, "normal": 5, "low": 8}
#: Failed deliveries of one message before it goes to the dead letters.
MAX_DELIVERIES = 3
_TRY = re.compile(r"^(?P<base>.+?)(?:\.r(?P<try>\d+))?\.json$")
_SEQ = itertools.count()
_SEQ_LOCK = threading.Lock()
_SENDERS: dict[tuple[str, str], Mailbox] = {}


def _by_name(message: Message) -> str:
    return message.name


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
    #: Came on the live lane (a line of the spool, no file of its own until a failed delivery makes one).
    spooled: bool = field(default=False, repr=False)

    @property
    def tries(self) -> int:
        """Which delivery this is: 1 the first time, more after failed ones."""
        if self.spooled:
            return 1  # a failed delivery leaves the lane for a file
        match = _TRY.match(self.name)
        return int(match.group("try")) if match and match.group("try") else 1

    def to_json(self) -> dict[str, Any]:
        return {"schema": 1, "from": self.sender, "to": self.target, "priority": self.priority, "kind": self.kind,
                "sent_at": self.sent_at, "body": self.body, "name": self.name}

    def lane_json(self) -> dict[str, Any]:
        """The message as a line of a live lane: what :meth:`to_json` holds less what the line's place and
        name say (its target is the mailbox's; its priority and time are in its name)."""
        record = {"name": self.name, "from": self.sender, "body": self.body}
        if self.kind != "message":
            record["kind"] = self.kind
        return record


class Mailbox:
    """The mailbox of one daemon id in a workspace."""

    def __init__(self, workspace: Workspace, daemon_id: str) -> None:
        self.workspace = workspace
        self.daemon_id = check_name(daemon_id, what="mailbox name")
        self.root = workspace.state_dir("mail", daemon_id)
        self.tmp, self.new, self.cur = (self.root / part for part in ("tmp", "new", "cur"))
        self.dead_dir = self.root / "dead"
        self._make_dirs()
        self._lane: Spool | None = None  # held while this process receives for the mailbox (see own())
        self._waiting: list[Message] = []  # read from the lane, not claimed yet, in name order
        self._held: dict[str, Message] = {}  # claimed from the lane, not acknowledged yet
        self._acked: list[str] = []  # acknowledged, not journaled yet (see flush())
        self._appender: Appender | None = None  # made at the first send
        self._watcher: DirectoryWaiter | None = None  # see watch()
        self._put_back = True  # this mailbox put a file into new/ since it last listed it
        self._settled = 0

    def _make_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for directory in (self.tmp, self.new, self.cur):
            directory.mkdir(exist_ok=True)

    # -- sending -----------------------------------------------------------
    @classmethod
    def send(cls, workspace: Workspace, target: str, body: Any, *, sender: str = "",
             priority: int | str = "normal", kind: str = "message") -> Message:
        """Deliver ``body`` to ``target``'s mailbox atomically; returns the message as written."""
        return cls.outbox(workspace, target).deliver(body, sender=sender, priority=priority, kind=kind)

    @classmethod
    def outbox(cls, workspace: Workspace, target: str) -> Mailbox:
        """The mailbox of ``target`` for this process to send to (:meth:`deliver`), made once per process."""
        # The directories of a mailbox this process already wrote to are not made again on each send
        # (four mkdir calls); should they vanish, deliver() makes them again.
        key = (str(workspace.root), target)
        box = _SENDERS.get(key)
        if box is None:
            box = cls(workspace, target)
            if len(_SENDERS) >= 128:
                for old in _SENDERS.values():
                    old.close()
                _SENDERS.clear()
            _SENDERS[key] = box
        return box

    def deliver(self, body: Any, *, sender: str = "", priority: int | str = "normal", kind: str = "message") -> Message:
        """Deliver ``body`` to this mailbox (see :meth:`send`)."""
        prio = PRIORITIES.get(priority) if type(priority) is str else None  # the common case at once
        if prio is None:
            prio = priority_value(priority)
        with _SEQ_LOCK:
            seq = next(_SEQ)
        now = time.time_ns()
        name = f"{prio}-{now:020d}-{Process.pid}-{seq:06d}.json"
        message = Message(body=body, sender=sender, target=self.daemon_id, priority=prio, kind=kind,
                          sent_at=now / 1e9, name=name)
        try:
            line = json.dumps(message.lane_json()).encode("ascii")  # plain ASCII JSON: no encoder made per message
        except (TypeError, ValueError) as exc:
            raise UsageError(f"message body is not JSON-serialisable: {exc}") from None
        if self._appender is None:
            self._appender = Appender(os.path.join(lane_dir(self._root), SPOOL))
        if self._appender.append(b"\n" + line + b"\n"):
            return message  # on the live lane: its receiver runs
        payload = dumps_json(message.to_json()).encode("utf-8")  # a file at rest: readable UTF-8
        try:
            self._write(name, payload)
        except FileNotFoundError:  # the mailbox was removed since this process made it
            self._make_dirs()
            self._write(name, payload)
        message.path = self.new / name
        return message

    def close(self) -> None:
        """Let go of what this mailbox keeps open to send (its receiving end goes with :meth:`disown`)."""
        if self._appender is not None:
            self._appender.close()

    @property
    def _root(self) -> str:
        return os.fspath(self.root)

    def _write(self, name: str, payload: bytes, into: Path | None = None) -> None:
        tmp = self.tmp / name
        with open(tmp, "wb") as handle:
            handle.write(payload)
        os.rename(tmp, (into or self.new) / name)

    # -- the live lane -------------------------------------------------------------------------
    def own(self) -> int:
        """Receive for this mailbox from now on, senders appending to its live lane (a daemon's runner does, for
        its life; :meth:`disown` ends it). What an earlier receiver left on the lane becomes message files
        first; returns how many of them it died handling (each a failed delivery, as :meth:`recover` counts)."""
        if self._lane is not None:
            return 0
        self._settled = 0
        self._lane = Spool.acquire(self._root, self._settle)
        if self._lane is None:
            log.warning("mailbox %s: another live process receives for it; this one reads its message files only",
                        self.daemon_id)
        return self._settled

    def disown(self) -> None:
        """Stop receiving on the live lane: what it holds that is not acknowledged becomes message files."""
        self.flush()
        lane, self._lane = self._lane, None
        if lane is not None:
            lane.release(self._settle)
        self._waiting.clear()
        self._held.clear()

    def bells(self) -> list[int]:
        """What to wait on, beside ``new/``, for messages arriving: the live lane's bell while owned."""
        return [self._lane.bell] if self._lane is not None else []

    def watch(self) -> DirectoryWaiter:
        """A waiter (entered; its owner stops it) that wakes when a message arrives: a file in ``new/``, a line on
        the live lane (or may have: a bell may be heard for a line already taken, and :meth:`receive` then
        finds nothing). While it watches, :meth:`receive` lists ``new/`` only when something arrived there."""
        from .inotify import DirectoryWaiter

        self._watcher = DirectoryWaiter(self.new, self.bells()).__enter__()
        return self._watcher

    def _new_may_hold(self) -> bool:
        watcher = self._watcher
        return watcher is None or not watcher.watching or watcher.arrivals or self._put_back

    def _list_new(self) -> list[str]:
        if self._watcher is not None:
            self._watcher.arrivals = False  # before looking: what arrives meanwhile is seen next time
        self._put_back = False
        return sorted(os.listdir(self.new))

    def _settle(self, entries: list[SpoolEntry], claimed: set[str]) -> None:
        for entry in entries:
            try:
                if entry.data is None:
                    raise ValueError("not a message")
                record = self._message(entry.data, entry.name, None, spooled=True).to_json()
            except (ValueError, TypeError, OverflowError):
                self._quarantine_line(entry.raw)
                continue
            payload = dumps_json(record).encode("utf-8")
            if entry.name in claimed:  # its receiver died on it: a failed delivery, as from cur/
                self._write(entry.name, payload, into=self.cur)
                with contextlib.suppress(FileNotFoundError):
                    message = Message(body=None, target=self.daemon_id, name=entry.name, path=self.cur / entry.name)
                    if self.fail(message, "the receiver died while handling it") == "retry":
                        self._settled += 1
            else:
                self._write(entry.name, payload)
            self._put_back = True
        self._waiting.clear()
        self._held.clear()
        self._acked.clear()

    @property
    def unflushed(self) -> bool:
        """Whether acknowledgements wait to be journaled (see :meth:`flush`)."""
        return bool(self._acked)

    def flush(self) -> None:
        """Journal the acknowledgements of lane messages made since the last flush (a receiver calls it when it
        has had nothing to do for a moment: off the way of the next message; the next claim carries them
        otherwise). A receiver that dies before may see a message it handled come again, as a failed delivery:
        delivery is at least once."""
        if self._lane is None or not self._acked:
            return
        acked, self._acked = self._acked, []
        try:
            self._lane.note("a", acked)
        except OSError:
            self._acked = acked + self._acked  # journaled at the next flush
            raise
        if not self._held and not self._waiting:
            self._lane.compact()

    def _read_lane(self) -> None:
        if self._lane is None:
            return
        entries = self._lane.read()
        if not entries:
            return
        for entry in entries:
            if entry.data is None:
                self._quarantine_line(entry.raw)
                continue
            try:
                self._waiting.append(self._message(entry.data, entry.name, None, spooled=True))
            except (ValueError, TypeError, OverflowError):
                self._quarantine_line(entry.raw)
                self._lane.note("a", [entry.name])  # done with: not written back as a message when the lane closes
        if len(self._waiting) > 1:
            self._waiting.sort(key=_by_name)

    def _off_lane(self, message: Message) -> None:
        """A claimed lane message leaves the lane as a file in ``cur/`` (for a retry or the dead letters)."""
        assert self._lane is not None
        payload = dumps_json(message.to_json()).encode("utf-8")
        self._write(message.name, payload, into=self.cur)
        self._lane.note("a", [message.name])
        self._held.pop(message.name, None)
        message.path, message.spooled = self.cur / message.name, False

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
        back = [m for m in messages if m.spooled and self._held.pop(m.name, None) is not None]
        if back and self._lane is not None:
            self._lane.note("r", [m.name for m in back])
            self._waiting = sorted(self._waiting + back, key=_by_name)
        for message in messages:
            if message.path is not None:
                self._put_back = True
                with contextlib.suppress(FileNotFoundError):
                    os.rename(message.path, self.new / message.name)

    def fail(self, message: Message, error: str) -> str:
        """A delivery of ``message`` failed with ``error``: deliver it again (``"retry"``), or, after
        :data:`MAX_DELIVERIES` tries, move it to ``dead/`` with the error (``"dead"``)."""
        if message.spooled and self._lane is not None:
            self._off_lane(message)
        if message.path is None:
            return "retry"
        tries = message.tries
        match = _TRY.match(message.name)
        base = match.group("base") if match else message.name.removesuffix(".json")
        if tries >= MAX_DELIVERIES:
            self.dead_dir.mkdir(exist_ok=True)
            write_why(self.dead_dir / f"{base}.json", self.daemon_id, error, tries=tries)
            os.rename(message.path, self.dead_dir / f"{base}.json")
            log.warning("mailbox %s: message %s moved to the dead letters after %d failed deliveries: %s",
                        self.daemon_id, base, tries, error.splitlines()[0][:300] if error else "")
            return "dead"
        self._put_back = True
        os.rename(message.path, self.new / f"{base}.r{tries + 1}.json")
        return "retry"

    def dead(self) -> list[DeadLetter]:
        """The dead letters of this mailbox, oldest first."""
        return dead_in(self.dead_dir, self.daemon_id)

    def requeue(self, name: str) -> bool:
        """Deliver a dead letter again, as new (its failed tries forgotten); ``False`` when there is no such one."""
        base = name.removesuffix(".json")
        source = self.dead_dir / f"{base}.json"
        self._put_back = True
        try:
            os.rename(source, self.new / f"{base}.json")
        except FileNotFoundError:
            return False
        with contextlib.suppress(FileNotFoundError):
            os.unlink(why_path(source))
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
        """How many messages wait to be claimed (files in ``new/``, and on the live lane while owned)."""
        self._read_lane()
        return len(self._waiting) + sum(1 for name in os.listdir(self.new) if name.endswith(".json"))

    def has_mail(self) -> bool:
        """Whether a message waits to be claimed (:meth:`pending`, without counting)."""
        if self._waiting or (self._lane is not None and self._lane.unread()):
            return True
        return self._new_may_hold() and any(name.endswith(".json") for name in os.listdir(self.new))

    def receive(self, limit: int | None = None) -> list[Message]:
        """Claim waiting messages in priority-then-FIFO order (up to ``limit``).

        A message that failed a delivery before comes alone (never beside
        another that a poison among them could take down with it). A message
        file that cannot be parsed is moved to ``.kin/quarantine/mail/`` and
        skipped. Call :meth:`ack` once a message is handled.
        """
        out: list[Message] = []
        self._read_lane()
        names = self._list_new() if self._new_may_hold() else []
        if not names:  # the lane alone, in its order: no merge
            return self._claim(self._waiting[:limit] if limit is not None else list(self._waiting))
        files = ((name, None) for name in names)
        lane: list[tuple[str, Message | None]] = [(m.name, m) for m in self._waiting]
        for name, spooled in heapq.merge(files, lane, key=lambda pair: pair[0]) if lane else files:
            if limit is not None and len(out) >= limit:
                self._put_back = True  # files listed and left where they are: looked at again next time
                break
            if spooled is not None:  # a lane message is never a retry: a failed delivery makes a file
                out.append(spooled)
                continue
            if not name.endswith(".json"):
                continue
            retried = (match := _TRY.match(name)) is not None and match.group("try") is not None
            if retried and out:
                self._put_back = True
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
                    self._put_back = True  # alone: what comes after it waits for the next receive
                    break
        return self._claim(out)

    @property
    def left_behind(self) -> bool:
        """Whether messages may wait that no arrival will announce: files this mailbox listed and left in ``new/``
        (a receive's limit, or a message that failed a delivery before and came alone) or put back there, lane
        lines read and not taken. The receiver looks again without waiting for anything to arrive."""
        return self._put_back or bool(self._waiting)

    def _claim(self, out: list[Message]) -> list[Message]:
        """Journal the lane messages of ``out`` as claimed (files were claimed by their rename)."""
        taken = [m for m in out if m.spooled]
        if taken and self._lane is not None:
            acked, self._acked = self._acked, []
            try:
                self._lane.note("c", [m.name for m in taken], acked=acked)  # one write for both
            except OSError:
                self._acked = acked + self._acked
                raise
            self._held.update((m.name, m) for m in taken)
            del self._waiting[:len(taken)]  # lane messages are taken in their order, from the first
        return out

    def ack(self, message: Message) -> None:
        """Acknowledge a handled message: it is deleted and will not come back."""
        if message.spooled:
            if self._lane is not None and self._held.pop(message.name, None) is not None:
                self._acked.append(message.name)
            return
        if message.path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(message.path)

    def _parse(self, path: Path) -> Message | None:
        try:
            with open(path, "rb") as handle:
                data = loads_json(handle.read())
            if not isinstance(data, dict) or "body" not in data:
                raise ValueError("not a message object")
            return self._message(data, path.name, path)
        except (OSError, ValueError, TypeError, OverflowError) as exc:
            self._quarantine(path, exc)
            return None

    def _message(self, data: dict[str, Any], name: str, path: Path | None, *, spooled: bool = False) -> Message:
        """The message ``data`` holds (a file's record, or a lane line, whose name is checked and gives its
        priority and time: ``<priority>-<ns>-…``)."""
        priority, sent_at = data.get("priority"), data.get("sent_at")
        if spooled:
            priority = name[0] if priority is None else priority
            sent_at = int(name[2:22]) / 1e9 if sent_at is None else sent_at
        return Message(body=data["body"], sender=str(data.get("from", "")), target=self.daemon_id,
                       priority=int(5 if priority is None else priority), kind=str(data.get("kind", "message")),
                       sent_at=float(0.0 if sent_at is None else sent_at), name=name, path=path, spooled=spooled)

    def _quarantine_line(self, raw: bytes) -> None:
        """A lane line that cannot be read as a message: kept in the quarantine, as an unreadable file is."""
        directory = self.workspace.state_dir("quarantine", "mail", self.daemon_id)
        name = f"lane-{time.time_ns():020d}-{os.getpid()}.json"
        with contextlib.suppress(OSError):
            atomic_write_bytes(directory / name, raw)
            write_why(directory / name, self.daemon_id, "unreadable: a line of the mailbox's live lane that is not "
                                                        "a message")
        log.warning("mailbox %s: an unreadable line of its live lane moved to %s", self.daemon_id, directory / name)

    def _quarantine(self, path: Path, exc: Exception) -> None:
        target = self.workspace.state_dir("quarantine", "mail", self.daemon_id) / path.name
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, target)
            with contextlib.suppress(OSError):
                write_why(target, self.daemon_id, f"unreadable: {exc}")
        log.warning("mailbox %s: corrupt message %s moved to %s (%s)", self.daemon_id, path.name, target, exc)

    # -- waiting -------------------------------------------------------------
    def wait(self, timeout: float | None = None, *, poll: float = 0.05) -> bool:
        """Block until a message is waiting, a file or on the live lane while owned (or ``timeout``); True when
        one is. Uses inotify where available, polling otherwise.
        """
        from .inotify import DirectoryWaiter

        deadline = None if timeout is None else time.monotonic() + timeout
        with DirectoryWaiter(self.new, self.bells()) as waiter:
            while True:
                if self.has_mail():
                    return True
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                waiter.wait(poll if remaining is None else min(remaining, 1.0))
                self._put_back = True  # this waiter is not watch()'s: new/ is looked into again
