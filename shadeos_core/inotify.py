"""Wake up when a file arrives in one directory: Linux inotify through ctypes, polling elsewhere.

Mailboxes use this rather than watchdog: claiming a message renames it out of
``new/``, and watchdog holds such an unpaired move for half a second to pair
it, delaying every event queued behind it. Here only arrivals
(``IN_MOVED_TO``, ``IN_CREATE``) wake the waiter, and the bells it is given
beside the directory (pipes: a mailbox's live lane).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
import sys
import threading
import time
from collections.abc import Sequence

__all__ = ["Alarm", "DirectoryWaiter"]

IN_CREATE = 0x00000100
IN_MOVED_TO = 0x00000080
IN_Q_OVERFLOW = 0x00004000
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then len bytes of name)
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_libc: ctypes.CDLL | None = None


def _inotify() -> ctypes.CDLL | None:
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if hasattr(lib, "inotify_init1"):
            _libc = lib
    return _libc


class DirectoryWaiter:
    """``with DirectoryWaiter(path) as w: w.wait(timeout)`` returns True when something arrived.

    ``bells`` are file descriptors of pipes to wait on too (a mailbox's live
    lane rings one per message; what is read from them is thrown away; a bell
    may be heard for a message already taken: callers look). :attr:`arrivals`
    turns true when something may have arrived in the directory itself (its
    reader sets it back to false before it looks).

    With inotify it sleeps in ``select`` until a file arrives, :meth:`interrupt`
    is called or ``timeout`` passes: no wakeup while idle. Without inotify (not
    Linux, or the user's inotify instances all taken by other programs) it
    polls the directory's modification time, backing off from 50 ms to 1 s
    while nothing changes, and returns True only when the directory changed:
    an idle receiver costs a ``stat`` a second, never a cycle per poll.
    """

    POLL = 0.05
    MAX_POLL = 1.0
    _warned = False

    def __init__(self, path: str | os.PathLike[str], bells: Sequence[int] = ()) -> None:
        self.path = os.fsencode(os.fspath(path))
        self.bells = list(bells)
        self.fd: int | None = None
        self.arrivals = True
        self._dir_wd = -1
        self._pipe: tuple[int, int] | None = None
        self._fds: list[int] = []
        self._stamp: tuple[int, ...] | None = None
        self._poll = self.POLL
        self._pipe_lock = threading.Lock()  # an interrupt never writes to a pipe closed (and its number reused)

    @property
    def polling(self) -> bool:
        return self.fd is None

    @property
    def watching(self) -> bool:
        """Entered and not stopped."""
        return self._pipe is not None

    def __enter__(self) -> DirectoryWaiter:
        lib = _inotify()
        if lib is not None:
            fd = lib.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
            if fd >= 0:
                self._dir_wd = lib.inotify_add_watch(fd, self.path, IN_CREATE | IN_MOVED_TO)
                if self._dir_wd >= 0:
                    self.fd = fd
                else:
                    os.close(fd)
            if self.fd is None and not DirectoryWaiter._warned:
                DirectoryWaiter._warned = True
                import logging

                logging.getLogger("kin.inotify").warning(
                    "no inotify watch available (errno %d; the user's limit fs.inotify.max_user_instances may be "
                    "reached): polling %s instead", ctypes.get_errno(), os.fsdecode(self.path))
        self._pipe = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC) if hasattr(os, "pipe2") else os.pipe()
        self._fds = [fd for fd in (self.fd, *self.bells, self._pipe[0]) if fd is not None]  # what _select waits on
        self._stamp = self._look()
        return self

    def _look(self) -> tuple[int, ...] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def wait(self, timeout: float | None) -> bool:
        """True when something arrived (or may have: callers re-check), False on timeout or :meth:`interrupt`."""
        return bool(self._poll_wait(timeout) if self.fd is None else self._select(timeout))

    def _select(self, timeout: float | None) -> bool | None:
        """True on an event, False on timeout, None on :meth:`interrupt`."""
        fd = self.fd
        assert fd is not None
        ready, _, _ = select.select(self._fds, [], [], timeout)
        rang = self._heard(ready)
        if self._pipe and self._pipe[0] in ready:
            self._drain(self._pipe[0])
            if fd not in ready and not rang:
                return None
        if fd in ready:
            self._read_events(fd)
            return True
        return rang

    def _heard(self, ready: list[int]) -> bool:
        rang = False
        for bell in self.bells:
            if bell in ready:
                self._drain(bell)
                rang = True
        return rang

    def _read_events(self, fd: int) -> None:
        data = self._drain(fd)
        offset = 0
        while offset + _EVENT.size <= len(data):
            wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
            offset += _EVENT.size + length
            if wd == self._dir_wd or mask & IN_Q_OVERFLOW:
                self.arrivals = True
                return

    def _poll_wait(self, timeout: float | None) -> bool | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            pause = self._poll if deadline is None else min(self._poll, max(0.0, deadline - time.monotonic()))
            if self._pipe is not None:
                ready, _, _ = select.select([self._pipe[0], *self.bells], [], [], pause)
                if self._heard(ready):
                    return True
                if ready:
                    self._drain(self._pipe[0])
                    return None
            else:
                time.sleep(pause)
            stamp = self._look()
            if stamp != self._stamp:
                self._stamp, self._poll = stamp, self.POLL
                self.arrivals = True
                return True
            self._poll = min(self.MAX_POLL, self._poll * 2)
            if deadline is not None and time.monotonic() >= deadline:
                return False

    @staticmethod
    def _drain(fd: int) -> bytes:
        """Everything there is to read from the non-blocking ``fd`` now."""
        data = b""
        try:
            while True:
                chunk = os.read(fd, 65536)
                data += chunk
                if len(chunk) < 65536:  # a read shorter than asked for took all there was
                    break
        except OSError:  # BlockingIOError: nothing (more) to read
            pass
        return data

    def interrupt(self) -> None:
        """Make a :meth:`wait` in progress (on another thread) return at once."""
        with self._pipe_lock:
            if self._pipe is not None:
                try:
                    os.write(self._pipe[1], b"x")
                except (BlockingIOError, OSError):
                    pass

    def stop(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        with self._pipe_lock:
            if self._pipe is not None:
                for fd in self._pipe:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                self._pipe = None

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Alarm:
    """An event (``set``/``clear``/``is_set``/``wait``, as ``threading.Event``) that a file arriving in a
    watched directory sets too.

    :meth:`wait` sleeps in the directory waiter's ``select`` itself, so an
    arrival wakes the waiting thread directly: one wake-up per message, with
    no relay thread in between. :meth:`set` from any thread interrupts it.
    While it watches, the flag is a plain attribute (no lock on a message's
    way); without a waiter it is a ``threading.Event``.
    """

    def __init__(self) -> None:
        self._flag = False
        self._event = threading.Event()
        self._waiter: DirectoryWaiter | None = None

    def watch(self, waiter: DirectoryWaiter) -> None:
        """Let arrivals seen by ``waiter`` (entered, and only waited on through this alarm) set the alarm."""
        self._waiter = waiter
        if self._flag:
            waiter.interrupt()

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        waiter = self._waiter
        if waiter is not None:
            waiter.interrupt()
        else:
            self._event.set()

    def clear(self) -> None:
        self._flag = False
        if self._waiter is None:
            self._event.clear()

    def wait(self, timeout: float | None = None) -> bool:
        """Until set or a file arrives (True), or ``timeout`` (False). Call it from one thread only."""
        waiter = self._waiter
        if waiter is None:
            return self._flag or self._event.wait(timeout)
        if not self._flag and waiter.wait(timeout):
            self._flag = True
        return self._flag
