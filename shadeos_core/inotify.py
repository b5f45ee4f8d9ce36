"""Wake up when a file arrives in one directory: Linux inotify through ctypes, polling elsewhere.

Mailboxes use this rather than watchdog: claiming a message renames it out of
``new/``, and watchdog holds such an unpaired move for half a second to pair
it, delaying every event queued behind it. Here only arrivals
(``IN_MOVED_TO``, ``IN_CREATE``) wake the waiter.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import sys
import time

__all__ = ["DirectoryWaiter"]

IN_CREATE = 0x00000100
IN_MOVED_TO = 0x00000080
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_libc = None


def _inotify():
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if hasattr(lib, "inotify_init1"):
            _libc = lib
    return _libc


class DirectoryWaiter:
    """``with DirectoryWaiter(path) as w: w.wait(timeout)`` returns True when something arrived
    (or, without inotify, after a short poll interval: callers re-check what they wait for)."""

    POLL = 0.05

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fsencode(os.fspath(path))
        self.fd: int | None = None

    def __enter__(self) -> DirectoryWaiter:
        lib = _inotify()
        if lib is not None:
            fd = lib.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
            if fd >= 0:
                if lib.inotify_add_watch(fd, self.path, IN_CREATE | IN_MOVED_TO) >= 0:
                    self.fd = fd
                else:
                    os.close(fd)
        return self

    def wait(self, timeout: float | None) -> bool:
        if self.fd is None:
            time.sleep(self.POLL if timeout is None else min(timeout, self.POLL))
            return True
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            while os.read(self.fd, 65536):
                pass
        except BlockingIOError:
            pass
        return True

    def stop(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __exit__(self, *exc: object) -> None:
        self.stop()
