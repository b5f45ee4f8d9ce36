"""Acting on a luciorbe only if it is still the file that was classified.

Between a scan and a clean, a live daemon may rewrite its luciorbe (a new
inode, by atomic rename), someone may swap a directory for a symlink, or the
file may vanish. Removal and quarantine therefore open the parent directory
with ``O_NOFOLLOW``, check it is the directory the scan saw (device and inode),
check the file still has the identity it had (device, inode, mtime, size), and
only then unlink or rename it relative to that directory descriptor.
"""
from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator

from shadeos_core.fsio import atomic_write_bytes

from .sighting import Sighting

__all__ = ["Changed", "remove", "move"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Changed(Exception):
    """The file or its directory is no longer what the scan classified; it was left alone."""


@contextlib.contextmanager
def _checked_directory(sighting: Sighting) -> Iterator[int]:
    try:
        fd = os.open(sighting.directory, _DIR_FLAGS)
    except FileNotFoundError:
        raise Changed("its directory vanished") from None
    except OSError as exc:
        raise Changed(f"its directory cannot be opened safely: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != sighting.dir_id:
            raise Changed("its directory was replaced since the scan")
        if sighting.file_id is None:
            raise Changed("it could not be identified during the scan")
        try:
            now = os.stat(sighting.name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            raise Changed("it vanished") from None
        if (now.st_dev, now.st_ino, now.st_mtime_ns, now.st_size) != sighting.file_id:
            raise Changed("it was rewritten since the scan")
        yield fd
    finally:
        os.close(fd)


def remove(sighting: Sighting) -> None:
    """Unlink the classified file; :class:`Changed` if it is not the same file any more."""
    with _checked_directory(sighting) as fd:
        try:
            os.unlink(sighting.name, dir_fd=fd)
        except FileNotFoundError:
            raise Changed("it vanished") from None


def move(sighting: Sighting, destination: str) -> None:
    """Move the classified file to ``destination`` (a new path), across file systems if need be."""
    with _checked_directory(sighting) as fd:
        try:
            os.rename(sighting.name, destination, src_dir_fd=fd)
            return
        except FileNotFoundError:
            raise Changed("it vanished") from None
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
        # .kin/ lives on another file system: copy the bytes, then unlink the original.
        src = os.open(sighting.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
        try:
            data = b"".join(iter(lambda: os.read(src, 1 << 16), b""))
        finally:
            os.close(src)
        atomic_write_bytes(destination, data)
        os.unlink(sighting.name, dir_fd=fd)
