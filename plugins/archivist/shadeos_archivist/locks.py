"""The two locks of the archive besides the journal's: the index writer's and the meta-daemon's presence."""
from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from shadeos_core.errors import KinError

__all__ = ["IndexBusy", "writer_lock", "PresenceLock", "held_by_other"]


class IndexBusy(KinError):
    """Another process kept the index writer's lock for longer than the timeout."""


@contextlib.contextmanager
def writer_lock(path: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``, waiting at most ``timeout`` seconds (0: do not wait).

    Raises :class:`IndexBusy` naming the holder when it cannot.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(path)
                    raise IndexBusy(f"the memory index is being written by another process{holder}",
                                    where=str(path),
                                    hint=f"waited {timeout:g}s; retry, or raise [archivist] lock_timeout") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


class PresenceLock:
    """Held for its whole life by the archivist meta-daemon: while it is, nobody else writes the index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise KinError("another archivist meta-daemon already keeps this workspace's memory index",
                           where=str(self.path), hint="run one [meta.archivist] per workspace") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def held_by_other(path: Path) -> bool:
    """Whether someone holds ``path``'s lock (a cheap, non-blocking probe)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
