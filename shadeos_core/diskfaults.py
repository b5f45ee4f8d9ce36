"""Disk faults: a full disk, a read-only file system, an I/O error. Reported once, retried, never fatal.

Writers of state that can be written again later (luciorbes, the team's state
file, logs) call :func:`disk_fault` on an ``OSError``: when it is a disk
fault, it is reported once per path (``on_report``, else the log) and the
caller carries on; the next write retries. :func:`recovered` says when a path
that failed is writable again (reported once too).
"""
from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Callable

__all__ = ["DISK_ERRORS", "is_disk_fault", "disk_fault", "recovered", "describe"]

#: The errors of a disk, not of the program: no space, no quota, a read-only file system, an I/O error.
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})
log = logging.getLogger("kin.disk")
_failing: dict[str, str] = {}
_lock = threading.Lock()


def is_disk_fault(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_ERRORS


def describe(exc: OSError, path: object = None) -> str:
    """``cannot write <path>: No space left on device`` (one line, the path and why)."""
    where = exc.filename or path or "a file"
    return f"cannot write {where}: {exc.strerror or exc}"


def disk_fault(exc: OSError, path: object, on_report: Callable[[str], None] | None = None) -> bool:
    """Report ``exc`` about ``path`` once if it is a disk fault, and return True; False for other errors."""
    if not is_disk_fault(exc):
        return False
    key = str(path)
    line = describe(exc, path) + " (kin goes on and retries; free the disk or make it writable)"
    with _lock:
        first = key not in _failing
        _failing[key] = line
    if first:
        (on_report or log.error)(line)
    return True


def recovered(path: object, on_report: Callable[[str], None] | None = None) -> None:
    """A write to ``path`` succeeded: if it had failed, say once that it works again."""
    key = str(path)
    if key not in _failing:
        return
    with _lock:
        if _failing.pop(key, None) is None:
            return
    (on_report or log.warning)(f"{key} is writable again")
