"""Writing records: one ``O_APPEND`` write per event into a segment file of this process.

Segments are ``.kin/actions/<YYYY-MM-DD>/<host>-<pid>.jsonl`` (the UTC day of
the event). Each process writes only its own file, so lines never interleave
whatever their size, and no lock is taken. Records are not fsynced: a record
survives the crash of its process (it is in the kernel's page cache once
``write`` returns) but not a crash of the machine — the price of a write that
costs microseconds. A failure to write is reported once per process and never
reaches the daemon.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .records import encode

if TYPE_CHECKING:
    from shadeos_core.events import DaemonEvent

__all__ = ["Recorder", "day_of", "segment_name"]

log = logging.getLogger(__name__)
_HOST = "".join(c if c.isalnum() or c in "-_" else "_" for c in socket.gethostname())[:64] or "host"


def day_of(epoch: float) -> str:
    """The UTC day of ``epoch`` as ``YYYY-MM-DD`` (the name of its segment directory)."""
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))


def segment_name(pid: int) -> str:
    return f"{_HOST}-{pid}.jsonl"


class Recorder:
    """Appends records under ``directory`` (``.kin/actions``), keeping one descriptor open per day."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._fds: dict[str, int] = {}
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._warned = False
        self._day = ("", 0.0, 0.0)  # the UTC day being written: (name, start, end)

    def record(self, event: DaemonEvent) -> bool:
        """Append ``event``; ``False`` (reported once, never raised) when it could not be written."""
        try:
            line = encode(event, self._pid)
            name, start, end = self._day
            if not start <= event.time < end:
                start = event.time - event.time % 86400
                name, end = day_of(start), start + 86400
                self._day = (name, start, end)
            with self._lock:
                os.write(self._fd(name), line)
            return True
        except Exception as exc:  # noqa: BLE001 - recording must never break the daemon that acts
            if not self._warned:
                self._warned = True
                log.warning("kin: warning: actions are not recorded in %s: %s: %s", self.directory,
                            type(exc).__name__, exc)
            return False

    def _fd(self, day: str) -> int:
        if os.getpid() != self._pid:  # a forked child: its own segment, never the parent's descriptor
            self._fds = {}
            self._pid = os.getpid()
        fd = self._fds.get(day)
        if fd is None:
            if len(self._fds) > 2:
                self.close()
            folder = self.directory / day
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / segment_name(self._pid), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                         0o644)
            self._fds[day] = fd
        return fd

    def close(self) -> None:
        for fd in self._fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = {}
