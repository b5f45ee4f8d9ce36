"""The append-only JSONL journal under ``.kin/memory/``: the truth every index is derived from.

Line one is a header naming the journal's *generation* (it changes when the
journal is compacted, so offsets into an older generation are never trusted).
Every other line is one operation: ``store``, ``forget``, ``link``, ``subgraph``.
Writers take ``journal.lock`` and append whole lines; a line left unterminated
by a writer that died mid-append is moved to ``journal.torn`` by the next
writer (or by :meth:`Journal.recover`), with a warning. A complete line that
is damaged (bytes overwritten, line ends lost, which glues the next records
onto it) is kept aside in ``journal.damaged``, and the records glued after the
damage are recovered: a damaged line never hides the valid ones after it.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shadeos_core.fsio import dumps_json, file_lock, fsync_dir, loads_json, locked_append

__all__ = ["Journal", "Entry", "VERSION"]

log = logging.getLogger("kin.archivist.journal")
VERSION = 1
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    """One journal line: where it starts and what it says."""

    offset: int
    record: dict[str, Any]
    salvaged: bool = False  # recovered from a damaged line


class Journal:
    """``<directory>/journal.jsonl`` with its lock and its set-aside torn lines."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "journal.jsonl"
        self.lock_path = directory / "journal.lock"
        self.torn_path = directory / "journal.torn"
        self.damaged_path = directory / "journal.damaged"
        self._warned: set[tuple[str, int]] = set()

    # -- writing -------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the writers' lock: no append or rewrite happens meanwhile (readers go on)."""
        with file_lock(self.lock_path):
            yield

    def append(self, records: Sequence[dict[str, Any]], *, fsync: bool = True) -> int:
        """Append ``records`` as whole lines and return the offset of the first.

        With ``fsync`` the records are on disk when this returns; without, they
        are in the OS cache (safe from a process crash, not from a power loss).
        """
        data = b"".join(_line(r) for r in records)
        with self.locked():
            self._prepare()
            return locked_append(self.path, data, fsync=fsync)

    def recover(self) -> int:
        """Set aside a torn last line left by a crashed writer; returns its size in bytes (0: none)."""
        with self.locked():
            return self._prepare()

    def rewrite(self, build: Callable[[], Sequence[dict[str, Any]]]) -> str:
        """Replace the whole journal by ``build()`` under a new generation (atomically, durably).

        ``build`` runs under the writers' lock, so it sees the final journal and
        nothing is appended between its reading and the replacement.
        """
        generation = uuid.uuid4().hex
        tmp = self.directory / f".journal.{generation}.tmp"
        with self.locked():
            records = build()
            try:
                with open(tmp, "wb") as handle:
                    handle.write(_line(_header(generation)))
                    for start in range(0, len(records), 1000):
                        handle.write(b"".join(_line(r) for r in records[start:start + 1000]))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            fsync_dir(self.directory)
        return generation

    def sync(self) -> None:
        """Make every append so far durable (for ``durability = "batch"``)."""
        with contextlib.suppress(FileNotFoundError):
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _prepare(self) -> int:
        """Under the lock: write the header of a new journal, or cut a torn tail. Returns bytes set aside."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size == 0:
            locked_append(self.path, _line(_header(uuid.uuid4().hex)), fsync=True)
            fsync_dir(self.directory)
            return 0
        with open(self.path, "rb+") as handle:
            # The common case reads one byte: this runs before every append, and a journal grows to many MB.
            if os.pread(handle.fileno(), 1, size - 1) == b"\n":
                return 0
            handle.seek(max(0, size - _CHUNK))
            tail = handle.read()
            cut = tail.rfind(b"\n")
            start = size - len(tail) + cut + 1 if cut >= 0 else 0
            if cut < 0 and size > _CHUNK:  # a torn line longer than a chunk: find its start the slow way
                start = _last_newline(handle, size) + 1
            handle.seek(start)
            torn = handle.read()
            locked_append(self.torn_path, b"%d " % start + torn + b"\n", fsync=True)
            handle.truncate(start)
            handle.flush()
            os.fsync(handle.fileno())
        if start == 0:  # the header itself was torn: the journal starts afresh
            locked_append(self.path, _line(_header(uuid.uuid4().hex)), fsync=True)
        log.warning("%s: a torn last line (%d bytes at offset %d, left by a writer that died mid-append) "
                    "was skipped and kept in %s", self.path, len(torn), start, self.torn_path.name)
        return len(torn)

    # -- reading -------------------------------------------------------------------------
    def revision(self) -> str:
        """A token that changes with every append or rewrite (inode, size, mtime)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return "0:0:0"
        return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"

    def has_torn_tail(self) -> bool:
        """Whether the last line is unterminated (being written right now, or torn by a crash)."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                if handle.tell() == 0:
                    return False
                handle.seek(-1, os.SEEK_END)
                return handle.read(1) != b"\n"
        except FileNotFoundError:
            return False

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def generation(self) -> str | None:
        """The generation named by the header (``None`` when there is no journal yet)."""
        try:
            with open(self.path, "rb") as handle:
                first = handle.readline()
        except FileNotFoundError:
            return None
        if not first.endswith(b"\n"):
            return None
        return _generation(first)

    def read(self, start: int = 0) -> tuple[str | None, list[Entry], int]:
        """``(generation, entries, end)``: complete lines from byte ``start`` on (0 = the beginning).

        ``end`` is where the next read should start; an unterminated last line
        (still being written, or torn) is left for later. A complete line that
        is not valid JSON is skipped with a warning.
        """
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError:
            return None, [], 0
        with handle:
            first = handle.readline()
            if not first.endswith(b"\n"):
                return None, [], 0
            generation = _generation(first)
            start = max(start, len(first))
            handle.seek(start)
            data = handle.read()
        entries: list[Entry] = []
        end = data.rfind(b"\n") + 1
        position = 0
        loads = json.loads
        for raw in data[:end].split(b"\n")[:-1]:
            offset = start + position
            position += len(raw) + 1
            try:
                record = loads(raw)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except (ValueError, RecursionError):  # RecursionError: a line nested deeper than the parser goes
                entries.extend(self._salvage(generation, offset, raw))
                continue
            entries.append(Entry(offset, record))
        return generation, entries, start + end

    def _salvage(self, generation: str, offset: int, raw: bytes) -> list[Entry]:
        """The records of a damaged line: damage that ate line ends glues the records after it onto it, so
        every ``{"op":`` in the line starts a candidate; what does not parse is kept aside in
        ``journal.damaged`` (once) and skipped."""
        found: list[Entry] = []
        bounds = [*_record_starts(raw), len(raw)]
        decoder = json.JSONDecoder()
        for begin, stop in zip(bounds, bounds[1:], strict=False):
            try:  # a record whose line end was overwritten parses, with garbage after it
                record, _end = decoder.raw_decode(raw[begin:stop].decode("utf-8"))
            except (ValueError, RecursionError):
                continue
            if isinstance(record, dict) and isinstance(record.get("op"), str):
                found.append(Entry(offset + begin, record, salvaged=True))
        if (generation, offset) not in self._warned:
            self._warned.add((generation, offset))
            with contextlib.suppress(OSError):
                locked_append(self.damaged_path, b"%s %d " % (generation.encode(), offset) + raw + b"\n")
            log.warning("%s: a damaged line (%d bytes at offset %d) was skipped and kept in %s; %d record(s) "
                        "after the damage were recovered", self.path, len(raw), offset, self.damaged_path.name,
                        len(found))
        return found


def _generation(first: bytes) -> str:
    """The generation a header line names; ``legacy`` for a journal without one (or a header that is not one)."""
    try:
        header = loads_json(first)
    except ValueError:
        return "legacy"
    value = header.get("generation") if isinstance(header, dict) else None
    return value if isinstance(value, str) and value else "legacy"


def _record_starts(raw: bytes) -> list[int]:
    """Where records may begin in a line: every ``{"op":``."""
    starts, at = [], raw.find(b'{"op":')
    while at >= 0:
        starts.append(at)
        at = raw.find(b'{"op":', at + 1)
    return starts


def _header(generation: str) -> dict[str, Any]:
    return {"op": "journal", "version": VERSION, "generation": generation}


def _line(record: dict[str, Any]) -> bytes:
    return dumps_json(record, separators=(",", ":")).encode("utf-8") + b"\n"


def _last_newline(handle: Any, size: int) -> int:
    position = size
    while position > 0:
        step = min(_CHUNK, position)
        position -= step
        handle.seek(position)
        found: int = handle.read(step).rfind(b"\n")
        if found >= 0:
            return position + found
    return -1

