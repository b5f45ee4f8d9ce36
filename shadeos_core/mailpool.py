"""Empty files made ahead of time for a process's outgoing messages: ``.kin/run/mail-pool/<pid>-<n>``.

Creating a file is by far the dearest step of writing a message to a maildir:
on ext4 a new inode costs ten times the write and the rename together, and
more when the disk is busy. A daemon that sends keeps a few empty files ready,
made by a thread of its own between two sends; a send fills one and renames it
into the target's ``new/``, exactly as it would have renamed a file it had just
created, so what a receiver sees, and when, is unchanged: the message is whole
in ``new/`` before the send returns. Without a ready file a send creates one as
before.

The files are empty until taken. A process that stops removes its own; what a
killed one leaves (empty files) is removed by the next pool started in the
workspace, which sees that their pid is gone.
"""
from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import threading
from collections import deque
from pathlib import Path

__all__ = ["MailPool", "pool_for"]

#: Ready files a pool keeps: enough for a burst of sends between two refills.
DEPTH = 8

_POOLS: dict[str, MailPool] = {}
_POOLS_LOCK = threading.Lock()


class MailPool:
    """Ready, empty message files of this process in ``directory``."""

    def __init__(self, directory: Path, depth: int = DEPTH) -> None:
        self.directory = directory
        self.depth = depth
        self._ready: deque[Path] = deque()
        self._seq = itertools.count()
        self._wanted = threading.Event()
        self._closed = False
        self._pid = os.getpid()
        directory.mkdir(parents=True, exist_ok=True)
        self._sweep()
        self._wanted.set()
        self._thread = threading.Thread(target=self._fill, daemon=True, name="kin-mail-pool")
        self._thread.start()

    def take(self) -> Path | None:
        """A ready empty file of this process, or ``None`` (then the caller creates its own)."""
        if os.getpid() != self._pid:  # a forked child must not take its parent's files
            return None
        try:
            path = self._ready.popleft()
        except IndexError:
            path = None
        self._wanted.set()
        return path

    def close(self) -> None:
        """Stop refilling and remove the files not taken."""
        self._closed = True
        self._wanted.set()
        while self._ready:
            with contextlib.suppress(OSError, IndexError):
                os.unlink(self._ready.popleft())

    def _fill(self) -> None:
        while not self._closed:
            self._wanted.wait()
            self._wanted.clear()
            while not self._closed and len(self._ready) < self.depth:
                path = self.directory / f"{self._pid}-{next(self._seq)}"
                try:
                    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o644))
                except OSError:
                    break  # a full or read-only disk: sends create their files themselves meanwhile
                self._ready.append(path)
            if self._closed:
                self.close()

    def _sweep(self) -> None:
        """Remove what pools of processes that no longer run left here."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            pid_text = name.partition("-")[0]
            if not pid_text.isdigit() or int(pid_text) == self._pid or _alive(int(pid_text)):
                continue
            with contextlib.suppress(OSError):
                os.unlink(self.directory / name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pool_for(run_dir: Path) -> MailPool:
    """The pool of this process for the workspace whose ``.kin/run`` is ``run_dir`` (made on first use)."""
    key = str(run_dir)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None or pool._pid != os.getpid() or pool._closed:
            pool = _POOLS[key] = MailPool(run_dir / "mail-pool")
        return pool


@atexit.register
def _close_all() -> None:
    for pool in list(_POOLS.values()):
        if pool._pid == os.getpid():
            pool.close()
