"""File writes that never leave a half-written file, and appends that never tear."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_json", "locked_append", "file_lock", "read_json",
           "loads_json", "dumps_json", "fsync_dir", "is_atomic_temp"]

#: The name an atomic write gives its temporary file: ``.<target name>.<8 random characters>.tmp``.
_TEMP_SUFFIX = ".tmp"
_TEMP_RANDOM = 8  # tempfile's random part


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, fsync: bool = False, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and ``os.replace``.

    Readers see the old content or the new one, never a mix. With ``fsync`` the
    data and the rename are durable when this returns.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=_TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if fsync:
        fsync_dir(target.parent)


def is_atomic_temp(name: str) -> bool:
    """Whether a file name is one an atomic write uses for its content on the way to its target: a file that
    exists for a moment and must never be counted, listed or indexed as project content."""
    if not (name.startswith(".") and name.endswith(_TEMP_SUFFIX)):
        return False
    stem = name[1:-len(_TEMP_SUFFIX)]  # <target name>.<random>
    target, dot, random = stem.rpartition(".")
    return bool(dot and target) and len(random) == _TEMP_RANDOM and random.replace("_", "").isalnum()


def atomic_write_text(path: str | os.PathLike[str], text: str, *, fsync: bool = False) -> None:
    """Atomically write UTF-8 ``text`` to ``path`` (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)


def dumps_json(value: Any, *, indent: int | None = None, separators: tuple[str, str] | None = None,
               default: Any = None) -> str:
    """JSON text of ``value``, readable UTF-8 when it can be; with ``\\u`` escapes when a string holds what
    UTF-8 cannot (a file name of bytes that are not UTF-8 arrives as lone surrogates): still valid JSON,
    and read back to the very same string."""
    text = json.dumps(value, indent=indent, separators=separators, default=default, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, indent=indent, separators=separators, default=default, ensure_ascii=True)
    return text


def atomic_write_json(path: str | os.PathLike[str], value: Any, *, fsync: bool = False, indent: int | None = 2) -> None:
    """Atomically write ``value`` as JSON (UTF-8, trailing newline; any file name survives the round trip)."""
    atomic_write_text(path, dumps_json(value, indent=indent) + "\n", fsync=fsync)


def loads_json(data: bytes | str) -> Any:
    """Parse JSON that came from a file or a message (untrusted): whatever is wrong with it (its syntax, its
    encoding, a nesting deeper than the interpreter can follow, a size it cannot hold) is a ``ValueError``."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError, MemoryError, TypeError) as exc:
        raise ValueError(f"not valid JSON: {type(exc).__name__}: {str(exc)[:200]}") from None


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file; errors propagate (``OSError``, ``ValueError``) for the caller to classify."""
    with open(path, "rb") as handle:
        return loads_json(handle.read())


@contextlib.contextmanager
def file_lock(path: str | os.PathLike[str], *, shared: bool = False, blocking: bool = True) -> Iterator[int]:
    """Hold an ``flock`` on ``path`` (created if needed) for the ``with`` block.

    Raises ``BlockingIOError`` when ``blocking`` is false and someone else holds it.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        flags = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        if not blocking:
            flags |= fcntl.LOCK_NB
        fcntl.flock(fd, flags)
        yield fd
    finally:
        os.close(fd)


def locked_append(path: str | os.PathLike[str], data: bytes, *, fsync: bool = False) -> int:
    """Append ``data`` to ``path`` under an exclusive lock; return the offset it starts at.

    Several processes may append at once: each record lands whole, one after
    another, never interleaved.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        offset = os.lseek(fd, 0, os.SEEK_END)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if fsync:
            os.fsync(fd)
        return offset
    finally:
        os.close(fd)


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Make a rename or a new file in ``directory`` durable (best effort where the file system refuses)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
