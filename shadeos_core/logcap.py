"""Logs that cannot fill the disk: a size cap per file, and the few previous files kept.

``[logs]`` in ``kin.toml``::

    [logs]
    max_bytes = 10485760   # a log file is rotated past this size (default 10 MiB)
    keep = 3               # rotated files kept: <name>.1 (newest) … <name>.3

A daemon's own log rotates as it writes (:func:`rotating_handler`). The
output files of background processes (``.kin/logs/<name>.out|.err``), which
the process itself writes, are rotated by whoever watches them
(:func:`rotate_if_over`, the orchestrator for its daemons, the janitor for
the rest): copied, then truncated to nothing. They are opened in append mode,
so the writer carries on at the new end; a few lines written between the copy
and the truncation may be lost, as with logrotate's ``copytruncate``.
"""
from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .durations import check_count
from .errors import ConfigError
from .workspace import check_keys

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["LogLimits", "rotating_handler", "rotate_if_over", "QUIET_LIBRARIES"]

#: Libraries kin and its plugins call, and the lowest level of theirs that reaches a daemon's log: their routine
#: chatter (every HTTP request a model call makes, a file watcher's shutdown race) is not the user's news.
QUIET_LIBRARIES = {"httpx": logging.ERROR, "httpx2": logging.ERROR, "httpcore": logging.ERROR,
                   "openai": logging.ERROR, "anthropic": logging.ERROR, "urllib3": logging.ERROR,
                   "asyncio": logging.ERROR, "filelock": logging.ERROR, "watchdog": logging.CRITICAL}


@dataclass(frozen=True)
class LogLimits:
    max_bytes: int = 10 * 2**20
    keep: int = 3

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> LogLimits:
        try:
            raw = workspace.section("logs")
        except ConfigError:
            return cls()
        where = f"{workspace.config_path} [logs]"
        check_keys(raw, ("max_bytes", "keep"), table="logs", where=lambda key: workspace.config_where("logs", key))
        return cls(check_count(raw.get("max_bytes", cls.max_bytes), minimum=4096, maximum=2**40,
                               where=f"{where} max_bytes", what="size in bytes"),
                   check_count(raw.get("keep", cls.keep), minimum=0, maximum=100, where=f"{where} keep",
                               what="number of files"))


class _CappedHandler(logging.handlers.RotatingFileHandler):
    """A failing write (a full disk) is said once on stderr, not as a traceback per record."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's API
        import sys

        from .diskfaults import disk_fault

        def say(line: str) -> None:
            sys.stderr.write(f"kin: {line}\n")

        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) and disk_fault(exc, self.baseFilename, on_report=say):
            return
        super().handleError(record)


class _LibraryChatter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        floor = QUIET_LIBRARIES.get(record.name.partition(".")[0])
        return floor is None or record.levelno >= floor


def rotating_handler(path: Path, limits: LogLimits) -> logging.Handler:
    """A file handler that rotates ``path`` past ``limits.max_bytes``, keeping ``limits.keep`` old files; the
    :data:`QUIET_LIBRARIES` say only what is at or above their floor."""
    handler = _CappedHandler(path, maxBytes=limits.max_bytes, backupCount=limits.keep, encoding="utf-8", delay=True)
    handler.addFilter(_LibraryChatter())
    return handler


def rotate_if_over(path: Path, limits: LogLimits) -> bool:
    """Rotate a log another process writes (in append mode) once it is over the cap; True when it did."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return False
    if size <= limits.max_bytes:
        return False
    with contextlib.suppress(OSError):
        for index in range(limits.keep - 1, 0, -1):
            older = path.with_name(f"{path.name}.{index}")
            if older.exists():
                os.replace(older, path.with_name(f"{path.name}.{index + 1}"))
        if limits.keep:
            with open(path, "rb") as source, open(path.with_name(f"{path.name}.1"), "wb") as target:
                # only the newest max_bytes: a flood may have written far more since the last look
                source.seek(max(0, size - limits.max_bytes))
                shutil.copyfileobj(source, target)
        os.truncate(path, 0)
        return True
    return False
