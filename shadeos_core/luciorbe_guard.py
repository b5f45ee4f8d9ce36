"""Removing a luciorbe only when it is one, where it must be, and still the file that was looked at.

Every removal of a luciorbe someone else wrote goes through here (the janitor,
the orchestrator cleaning after a daemon it saw die):

- a recorded path is only followed when it is absolute, named ``.luciorbe.<id>``
  (:func:`locate`; for a record, exactly its daemon's name) and, symlinks
  resolved, inside the workspace;
- the parent directory is opened with ``O_NOFOLLOW`` and must be the directory
  that was looked at (device and inode); the file must still have the identity
  it had (device, inode, mtime, size); only then is it unlinked relative to that
  directory (:func:`remove`);
- a record's luciorbes go only when the process that wrote the record is known
  and gone, and each only if it is a regular file of ours whose owner is dead
  (or that is not a luciorbe at all): a daemon that took it over since keeps it
  (:func:`clean_record`). The record goes last, unless it was rewritten meanwhile.
"""
from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .fsio import loads_json
from .luciorbe import PREFIX, Luciorbe, MalformedLuciorbe, is_luciorbe_name, liveness
from .luciorbe_record import FileId, LuciorbeRecord, identity
from .workspace import Workspace

__all__ = ["Refused", "DirId", "FileId", "Located", "locate", "real_directory", "checked_directory", "remove",
           "clean_record", "drop_record", "RecordCleanup"]

#: (st_dev, st_ino) of a directory, to recognise it again before acting inside it.
DirId = tuple[int, int]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_OPEN_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
#: A luciorbe is a few hundred bytes; anything this big is not one.
_MAX_BYTES = 1 << 20


class Refused(Exception):
    """The file or its directory is not what this removal may touch, or no longer what was looked at:
    it was left alone."""


@dataclass(frozen=True)
class Located:
    """A luciorbe path a record named, made safe: ``path`` is absolute and its directory has no symlink."""

    path: str
    dir_id: DirId

    @property
    def directory(self) -> str:
        return os.path.dirname(self.path)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def real_directory(directory: str) -> tuple[str, DirId] | None:
    """The symlink-free path and identity of ``directory``, or ``None`` if it cannot be opened.

    On Linux the kernel names the opened directory (``/proc/self/fd``): three system
    calls instead of one ``lstat`` per path component.
    """
    try:
        fd = os.open(directory, _OPEN_FLAGS)
    except (OSError, ValueError):  # ValueError: a NUL in a path read from a file
        return None
    try:
        st = os.fstat(fd)
        try:
            real = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            real = os.path.realpath(directory)
    finally:
        os.close(fd)
    return (real if real.startswith("/") else os.path.realpath(directory)), (st.st_dev, st.st_ino)


def locate(raw: str, within: str, *, daemon_id: str | None = None) -> Located | None:
    """``raw`` (a path read from a record) if it may be acted on, else ``None``.

    It must be absolute and named like a luciorbe (``.luciorbe.<daemon_id>`` exactly when
    ``daemon_id`` is given), and its directory, symlinks resolved, must lie under ``within``.
    """
    directory, name = os.path.split(raw)
    if not os.path.isabs(raw) or not is_luciorbe_name(name):
        return None
    if daemon_id is not None and name != f"{PREFIX}.{daemon_id}":
        return None
    real = real_directory(directory)
    if real is None:
        return None
    real_dir, dir_id = real
    full = f"{real_dir}/{name}" if real_dir != "/" else f"/{name}"
    limit = within.rstrip("/") + "/"
    return Located(full, dir_id) if full.startswith(limit) else None


@contextlib.contextmanager
def checked_directory(path: str, dir_id: DirId, file_id: FileId | None) -> Iterator[int]:
    """A descriptor of ``path``'s directory, once it and the file are what was looked at (:class:`Refused` if not)."""
    try:
        fd = os.open(os.path.dirname(path), _DIR_FLAGS)
    except FileNotFoundError:
        raise Refused("its directory vanished") from None
    except OSError as exc:
        raise Refused(f"its directory cannot be opened safely: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != dir_id:
            raise Refused("its directory was replaced since the scan")
        if file_id is None:
            raise Refused("it could not be identified during the scan")
        try:
            now = os.stat(os.path.basename(path), dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            raise Refused("it vanished") from None
        if (now.st_dev, now.st_ino, now.st_mtime_ns, now.st_size) != file_id:
            raise Refused("it was rewritten since the scan")
        yield fd
    finally:
        os.close(fd)


def remove(path: str, dir_id: DirId, file_id: FileId | None) -> None:
    """Unlink ``path`` if it is still the file ``file_id`` in the directory ``dir_id``; else :class:`Refused`."""
    with checked_directory(path, dir_id, file_id) as fd:
        try:
            os.unlink(os.path.basename(path), dir_fd=fd)
        except FileNotFoundError:
            raise Refused("it vanished") from None


@dataclass
class RecordCleanup:
    """What :func:`clean_record` did: the luciorbes removed, those left alone and why, and the record's fate."""

    removed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    record_removed: bool = False


def clean_record(workspace: Workspace, record: LuciorbeRecord) -> RecordCleanup:
    """Remove the luciorbes ``record`` lists, then the record, if the process that wrote it is gone.

    A record whose owner is alive or unknown is left whole; a listed path that is not
    this daemon's luciorbe inside the workspace, or whose file a live owner keeps, is left.
    """
    done = RecordCleanup()
    if not record.owner_known or record.owner_alive():
        done.refused = dict.fromkeys(record.paths, "its owner is alive or unknown")
        return done
    if record.daemon_id != record.file.stem:
        done.refused = dict.fromkeys(record.paths, f"record {record.file.name} speaks for {record.daemon_id!r}")
        return done
    for raw in record.paths:
        try:
            _remove_listed(raw, str(workspace.root), record.daemon_id)
        except Refused as exc:
            done.refused[raw] = str(exc)
        except OSError as exc:
            done.refused[raw] = f"could not act: {exc.strerror}"
        else:
            done.removed.append(raw)
    done.record_removed = drop_record(record)
    return done


def drop_record(record: LuciorbeRecord) -> bool:
    """Unlink the record file if it is still the file that was read (its daemon may have rewritten it since)."""
    located = real_directory(str(record.file.parent))
    if located is None:
        return False
    try:
        remove(f"{located[0]}/{record.file.name}", located[1], record.file_id)
    except (Refused, OSError):
        return False
    return True


def _remove_listed(raw: str, within: str, daemon_id: str) -> None:
    located = locate(raw, within, daemon_id=daemon_id)
    if located is None:
        raise Refused(f"not a luciorbe of {daemon_id} inside the workspace")
    try:
        fd = os.open(located.path, _FILE_FLAGS)
    except FileNotFoundError:
        raise Refused("it vanished") from None
    except OSError as exc:
        raise Refused(f"it cannot be opened safely: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused("not a regular file")
        if st.st_uid != os.geteuid():
            raise Refused(f"owned by uid {st.st_uid}, not {os.geteuid()}")
        raw_bytes = os.read(fd, min(st.st_size, _MAX_BYTES) + 1)
    finally:
        os.close(fd)
    with contextlib.suppress(MalformedLuciorbe, ValueError, RecursionError):
        luc = Luciorbe.from_json(loads_json(raw_bytes), Path(located.path))
        if liveness(luc) != "dead":
            raise Refused(f"pid {luc.pid} keeps it")
    remove(located.path, located.dir_id, identity(st))
