"""The live lane of a mailbox: while its receiver runs, a message is one line appended to one file.

A message in a file of its own (``new/<name>``) costs a file creation and two
renames, each a journaled change of a directory: on a busy disk, hundreds of
microseconds a hop. While a receiver runs, its mailbox has a live lane: a
directory holding a ``spool`` file; a sender that finds it appends the message
to it as one line, under a shared lock on it, then rings the lane's ``bell``
(a FIFO the receiver waits on: a byte written to a pipe wakes its reader
sooner than an inotify event). The receiver writes what it claims (``c``),
gives back (``r``) and acknowledges (``a``) as lines of its ``journal``. One receiver at a
time holds ``live.lock`` (an ``flock`` the kernel releases when its process
ends, however it ends).

The lane lives in memory where it can (``/dev/shm/kin-<uid>/<key>``, ``key``
from the mailbox's real path; the directory private to the user), else in the
mailbox's own directory: even an append to a file on disk journals the file's
new modification time, tens of microseconds on a busy disk, three times a hop.
Only messages between live daemons are there, and only until handled: a
daemon's stop writes what its lane holds to disk (below), a crash or a kill of
either daemon loses nothing, a crash of the machine loses the messages in
flight (as a page cache not yet written back does).

Files stay the mailbox's format at rest. When its receiver stops, whatever the
spool holds that is not acknowledged is written out as message files into
``new/`` and the spool is unlinked, under an exclusive lock on it: a sender
that waited for the lock finds the file it opened unlinked and writes a message
file instead. A receiver that died leaves its spool in place, and senders go on
appending to it until the next receiver starts and does the same (a message
the dead one was handling becomes a failed delivery, as one left in ``cur/``
does). A failed delivery, too, leaves the lane for a file (retries and dead
letters are files). Lines are framed by a newline on both sides, so a line a
full disk cut short spoils itself alone.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["SPOOL", "JOURNAL", "LIVE", "MAX_LINE", "SpoolEntry", "Spool", "Appender", "Process", "lane_dir", "sweep",
           "valid_name"]

SPOOL, JOURNAL, LIVE, POINTER, BELL = "spool", "journal", "live.lock", "mailbox", "bell"
#: The memory file system lanes are kept in, when there is one.
MEMORY_ROOT = "/dev/shm"
#: A message longer than this goes as a file: a line must be written by one ``write``.
MAX_LINE = 64 * 1024
#: Spool size past which a receiver with nothing in hand empties its spool and journal.
#: (The journal of acknowledgements is written when the receiver is idle: see :meth:`Spool.note`.)
COMPACT_AT = 1 << 20
#: How long a starting receiver waits for ``live.lock`` (held by a receiver of the same mailbox still stopping).
ACQUIRE_S = 0.5
_NAME = re.compile(r"^[0-9]-[0-9]{20}-[0-9]+-[0-9]+\.json$")
_CHUNK = 1 << 13  # most messages fit in one read; a longer one takes several
_DECODER = json.JSONDecoder()
_memory: str | None = None
_memory_looked = False


class Process:
    """This process's id, kept up to date across forks (a sender asks for it at every message)."""

    pid = os.getpid()

    @classmethod
    def forked(cls) -> None:
        cls.pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=Process.forked)


def lane_dir(mailbox_root: str) -> str:
    """The directory of the live lane of the mailbox at ``mailbox_root`` (see the module's text)."""
    base = _memory_base()
    if base is None:
        return mailbox_root
    key = hashlib.sha256(os.fsencode(os.path.realpath(mailbox_root))).hexdigest()[:32]
    return os.path.join(base, key)


def _memory_base() -> str | None:
    """``/dev/shm/kin-<uid>``, made if needed; ``None`` when there is none or it is not this user's alone."""
    global _memory, _memory_looked
    if not _memory_looked:
        _memory_looked = True
        _memory = _private_dir(os.path.join(MEMORY_ROOT, f"kin-{os.getuid()}")) if os.path.isdir(MEMORY_ROOT) \
            and hasattr(os, "getuid") else None
    return _memory


def _private_dir(path: str) -> str | None:
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None  # another user's, or open to others: no lane of ours in it
    return path


def valid_name(name: object) -> bool:
    """Whether ``name`` is a message name as :meth:`Mailbox.deliver` makes them (safe to build a path from)."""
    return isinstance(name, str) and _NAME.match(name) is not None


class Appender:
    """A sender's end of one mailbox's spool, kept open from one message to the next (opened again once its
    receiver stopped and unlinked it, and in a forked child, whose locks must be its own)."""

    def __init__(self, spool: str) -> None:
        self.path = spool
        self.bell = os.path.join(os.path.dirname(spool), BELL)
        self._fd = -1
        self._bell = -1
        self._pid = 0
        self._lock = threading.Lock()  # one process-wide lock on the spool per open file: one thread at a time

    def append(self, line: bytes) -> bool:
        """Append one framed message line; ``False`` when there is no spool (no receiver runs) or the line is too
        long: the caller writes a message file instead. Raises ``OSError`` when the spool refused the write
        (a full disk): the message was not sent."""
        if len(line) > MAX_LINE:
            return False
        with self._lock:
            for _ in range(2):
                fd = self._open()
                if fd < 0:
                    return False
                fcntl.flock(fd, fcntl.LOCK_SH)  # a receiver empties or unlinks its spool only under LOCK_EX
                try:
                    if os.fstat(fd).st_nlink == 0:  # its receiver stopped: a new one may have made another
                        self.close()
                        continue
                    written = os.write(fd, line)
                    if written != len(line):
                        raise OSError(errno.ENOSPC, f"the mailbox spool took {written} of {len(line)} bytes",
                                      self.path)
                    self._ring()
                    return True
                finally:
                    if self._fd == fd:
                        fcntl.flock(fd, fcntl.LOCK_UN)
            return False

    def _ring(self) -> None:
        if self._bell < 0:
            self._open_bell()
            if self._bell < 0:
                return  # nobody listens: its receiver died; the line waits in the spool for the next one
        try:
            os.write(self._bell, b"\0")
        except (BlockingIOError, BrokenPipeError):
            pass  # rung often enough that its receiver has yet to hear it; or it died since

    def _open(self) -> int:
        if self._fd >= 0 and self._pid == Process.pid:
            return self._fd
        self._fd = self._bell = -1  # inherited through a fork: the parent's, left alone
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        except OSError:
            return -1  # no receiver runs, or the mailbox is gone
        self._pid = Process.pid
        self._open_bell()
        return self._fd

    def _open_bell(self) -> None:
        with contextlib.suppress(OSError):  # ENXIO: nobody reads it (its receiver died; the next one will)
            self._bell = os.open(self.bell, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)

    def close(self) -> None:
        if self._pid == Process.pid:
            for fd in (self._fd, self._bell):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
        self._fd = self._bell = -1


def sweep(base: str | None = None) -> int:
    """Remove the lanes of mailboxes that no longer exist (their workspace was deleted) and that no receiver
    holds; returns how many went. Best effort: a lane in use, or one being made, is left alone."""
    base = base if base is not None else _memory_base()
    if base is None:
        return 0
    removed = 0
    try:
        keys = os.listdir(base)
    except OSError:
        return 0
    for key in keys:
        root = os.path.join(base, key)
        try:
            with open(os.path.join(root, POINTER), encoding="utf-8") as handle:
                mailbox = handle.read().strip()
        except (OSError, UnicodeDecodeError):
            continue  # being made (its pointer comes after its lock), or not a lane
        if not mailbox or os.path.isdir(mailbox):
            continue
        fd = _lock_live(os.path.join(root, LIVE), wait=0.0, make=False)
        if fd is None:
            continue
        try:
            _remove_lane(root)
            removed += 1
        finally:
            os.close(fd)
    return removed


def _open_bell(path: str) -> int:
    """The receiver's end of a lane's bell, a FIFO made anew (a leftover of another kind is replaced)."""
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISFIFO(os.lstat(path).st_mode):
            os.unlink(path)
    with contextlib.suppress(FileExistsError):
        os.mkfifo(path, 0o600)
    return os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)


def _remove_lane(root: str) -> None:
    """Unlink a lane's files (its ``live.lock`` still held by the caller) and its directory when empty: not when it
    is a mailbox's own directory, or another receiver started there meanwhile."""
    for name in (SPOOL, JOURNAL, BELL, POINTER, LIVE):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(root, name))
    with contextlib.suppress(OSError):
        os.rmdir(root)


def _lock_live(path: str, wait: float = ACQUIRE_S, *, make: bool = True) -> int | None:
    """An ``flock`` held on ``path``, the file still there under that name; ``None`` when another process holds
    it for ``wait`` seconds (another receiver, for its life). With ``make`` the file (and its directory) is made
    when missing: a receiver that stopped meanwhile removed its lane. Without, a lane removed meanwhile gives
    ``None`` (a sweep of orphaned lanes, which another process may be sweeping too)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC | (os.O_CREAT if make else 0), 0o600)
        except FileNotFoundError:
            if not make:
                return None
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.005)
            continue
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # its receiver unlinked it as it stopped: lock the one there now


def _read_from(fd: int, offset: int) -> bytes:
    """What the file ``fd`` holds from ``offset`` to its end."""
    chunks = []
    while chunk := os.pread(fd, _CHUNK, offset):
        offset += len(chunk)
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class SpoolEntry:
    """One line of a spool: ``data`` is the message object, ``None`` when the line cannot be read as one."""

    name: str
    data: dict[str, Any] | None
    raw: bytes
    offset: int = 0  # where the line begins in the spool


def parse_line(raw: bytes, offset: int = 0) -> SpoolEntry:
    try:
        # a line is UTF-8 (senders write ASCII): decoded as such, with no guess at its encoding as loads makes
        data = _DECODER.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError, MemoryError, TypeError):  # whatever is wrong with an untrusted line
        return SpoolEntry("", None, raw, offset)
    if not isinstance(data, dict) or "body" not in data or not valid_name(data.get("name")):
        return SpoolEntry("", None, raw, offset)
    return SpoolEntry(str(data["name"]), data, raw, offset)


#: What a receiver does with what is left in a spool: ``settle(entries, claimed)`` writes the entries out as
#: message files (those in ``claimed`` were being handled: a failed delivery each).
Settle = Callable[[list[SpoolEntry], set[str]], None]


class Spool:
    """The receiving end of a mailbox's live lane, held by one process at a time (a daemon's runner)."""

    def __init__(self, root: str, live_fd: int, spool_fd: int, journal_fd: int, bell_fd: int) -> None:
        self.root = root
        self.bell = bell_fd  # read end (opened for writing too: no end of file when the last sender goes)
        self._live, self._spool, self._journal = live_fd, spool_fd, journal_fd
        self._offset = 0
        self._rest = b""

    @classmethod
    def acquire(cls, mailbox_root: str, settle: Settle) -> Spool | None:
        """Become the receiver of the mailbox at ``mailbox_root``: what an earlier receiver left on its lane goes
        to ``settle`` first. ``None`` when another live process receives for it."""
        root = lane_dir(mailbox_root)
        if root != mailbox_root:
            sweep()  # the lanes of workspaces deleted meanwhile go first
        os.makedirs(root, mode=0o700, exist_ok=True)
        live = _lock_live(os.path.join(root, LIVE))
        if live is None:
            return None
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        try:
            if root != mailbox_root:  # for whoever looks into the memory file system: whose lane this is
                with open(os.path.join(root, POINTER), "w", encoding="utf-8") as handle:
                    handle.write(mailbox_root + "\n")
            bell = _open_bell(os.path.join(root, BELL))
            spool = os.open(os.path.join(root, SPOOL), flags, 0o600)
            journal = os.open(os.path.join(root, JOURNAL), flags, 0o600)
        except BaseException:
            os.close(live)
            raise
        owner = cls(root, live, spool, journal, bell)
        owner.settle(settle)
        return owner

    # -- reading -----------------------------------------------------------------------------
    def read(self) -> list[SpoolEntry]:
        """Lines appended since the last read (whole lines only; a line being written waits for the next)."""
        data = os.pread(self._spool, _CHUNK, self._offset)
        if not data:
            return []
        if len(data) == _CHUNK:  # more than one read holds
            data += _read_from(self._spool, self._offset + len(data))
        self._offset += len(data)
        if self._rest:
            data = self._rest + data
        cut = data.rfind(b"\n") + 1
        self._rest = data[cut:]
        start = self._offset - len(data)  # where data begins in the spool
        entries = []
        for raw in data[:cut].split(b"\n"):
            if raw.strip():
                entries.append(parse_line(raw, start))
            start += len(raw) + 1
        return entries

    def unread(self) -> bool:
        """Whether bytes were appended since the last read."""
        return os.fstat(self._spool).st_size > self._offset

    # -- the journal ---------------------------------------------------------------------------
    def note(self, op: str, names: list[str], *, acked: list[str] | None = None) -> None:
        """Journal ``op`` (``c`` claimed, ``r`` given back, ``a`` acknowledged) for ``names``, in one append, after
        the acknowledgements ``acked`` if given (a claim carries those its receiver had not journaled yet)."""
        text = f"a {' '.join(acked)}\n" if acked else ""
        if names:
            text += f"{op} {' '.join(names)}\n"
        if text:
            os.write(self._journal, text.encode("ascii"))

    # -- emptying ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        fcntl.flock(self._spool, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._spool, fcntl.LOCK_UN)

    def compact(self) -> None:
        """Empty the spool and journal once they are large and everything read is acknowledged (the caller
        holds nothing): a receiver's files do not grow without end."""
        if self._offset < COMPACT_AT or self._rest:
            return
        with self._exclusive():
            if os.fstat(self._spool).st_size == self._offset:
                self._truncate()

    def settle(self, settle: Settle, *, then: Callable[[], None] | None = None) -> None:
        """Hand every line not acknowledged to ``settle`` (with the names claimed and not given back), then empty
        both files and run ``then``; senders wait meanwhile."""
        with self._exclusive():
            entries = self._everything()
            claimed, acked = self._journaled()
            settle([e for e in entries if e.data is None or e.name not in acked], claimed - acked)
            self._truncate()
            if then is not None:
                then()

    def _everything(self) -> list[SpoolEntry]:
        """Every line of the spool; of those this receiver read already, the readable ones only (it quarantined
        the others when it read them)."""
        seen = self._offset - len(self._rest)
        self._offset, self._rest = 0, b""
        entries = [e for e in self.read() if e.data is not None or e.offset >= seen]
        if self._rest.strip():
            entries.append(parse_line(self._rest, self._offset))  # a line cut short: unreadable, kept as evidence
        return entries

    def _journaled(self) -> tuple[set[str], set[str]]:
        claimed: set[str] = set()
        acked: set[str] = set()
        for line in _read_from(self._journal, 0).decode("ascii", "replace").splitlines():
            op, _, rest = line.partition(" ")
            names = [n for n in rest.split() if valid_name(n)]
            if op == "c":
                claimed.update(names)
            elif op == "r":
                claimed.difference_update(names)
            elif op == "a":
                acked.update(names)
        return claimed, acked

    def _truncate(self) -> None:
        os.ftruncate(self._spool, 0)  # first: a journal emptied before its spool would forget acknowledgements
        os.ftruncate(self._journal, 0)
        self._offset, self._rest = 0, b""

    def release(self, settle: Settle) -> None:
        """Stop receiving: what is left goes to ``settle`` and the spool is unlinked, under its exclusive lock (a
        sender that waited for it finds its file unlinked and writes a message file)."""
        try:
            self.settle(settle, then=self._unlink)
        finally:
            self._let_go()
            for fd in (self._journal, self._spool, self.bell):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _unlink(self) -> None:
        # live.lock goes too, still locked: a receiver starting meanwhile sees its lock is on a file unlinked
        # (see _lock_live) and makes another
        _remove_lane(self.root)

    def _let_go(self) -> None:
        if self._live >= 0:
            fd, self._live = self._live, -1
            os.close(fd)
