"""Acting on a classified luciorbe only if it is still the file that was classified.

Between a scan and a clean, a live daemon may rewrite its luciorbe (a new
inode, by atomic rename), someone may swap a directory for a symlink, or the
file may vanish. Removal goes through the core's one guarded removal
(:func:`shadeos_core.luciorbe_guard.remove`); quarantine moves the file under
the same checks: the parent directory opened with ``O_NOFOLLOW`` must be the
directory the scan saw, the file must still have the identity it had, and only
then is it renamed relative to that directory descriptor.
"""
from __future__ import annotations

import errno
import os

from shadeos_core.fsio import atomic_write_bytes
from shadeos_core.luciorbe_guard import Refused, checked_directory
from shadeos_core.luciorbe_guard import remove as remove_checked

from .sighting import Sighting

__all__ = ["Changed", "remove", "move"]

#: The file or its directory is no longer what the scan classified; it was left alone.
Changed = Refused


def remove(sighting: Sighting) -> None:
    """Unlink the classified file; :class:`Changed` if it is not the same file any more."""
    remove_checked(sighting.path, sighting.dir_id, sighting.file_id)


def move(sighting: Sighting, destination: str) -> None:
    """Move the classified file to ``destination`` (a new path), across file systems if need be."""
    with checked_directory(sighting.path, sighting.dir_id, sighting.file_id) as fd:
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
