"""Measuring a workspace: a full scan (a stat per unchanged file) and incremental updates of changed paths."""
from __future__ import annotations

import contextlib
import os
import stat as st
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .cache import Stamp, TokenCache
from .config import MapConfig
from .counter import CountFailed, TokenCounter
from .listing import PathFilter, list_files
from .model import FileEntry, ProjectMap, level_for
from .phase import EXPANSION, read_phase, utc_now

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel
    from shadeos_core.workspace import Workspace

__all__ = ["MapScanner", "Survey", "BINARY_PROBE", "Progress"]

#: Bytes looked at for a NUL to call a file binary (what git and grep do).
BINARY_PROBE = 8192
#: ``progress(done, total)`` while counting files the cache did not know.
Progress = Callable[[int, int], None]
#: Seconds between cache saves during incremental updates (full scans and stops always save).
CACHE_SAVE_EVERY = 5.0
_BINARY = object()


def _read(path: str, size: int) -> bytes:
    """The whole file at ``path``, expected to hold ``size`` bytes: one ``read`` call unless it grew since.

    Plain ``os`` calls: on 10,000 small files, ``open()``'s buffered file object cost as much as the reads.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        data = os.read(fd, size + 1)
        if len(data) > size:
            chunks = [data]
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
        return data
    finally:
        os.close(fd)


class Survey(NamedTuple):
    """A listing matched against the cache: what a full scan reuses and what it must read."""

    stamps: dict[str, Stamp]
    misses: list[str]
    entries: dict[str, FileEntry]
    binary: set[str]


class MapScanner:
    """The live map of one workspace. Thread-safe: the watching daemon updates it from its watcher thread.

    >>> scanner = MapScanner.for_kernel(kernel)
    >>> scanner.full_scan()
    >>> scanner.snapshot().total_tokens
    """

    def __init__(self, workspace: Workspace, config: MapConfig, counter: TokenCounter) -> None:
        self.workspace = workspace
        self.root = workspace.root
        self._prefix = f"{workspace.root}{os.sep}"
        self.config = config
        self.counter = counter
        self.cache = TokenCache.load(workspace.state_dir("state") / "map-cache.json", counter.identity())
        self.entries: dict[str, FileEntry] = {}
        self.binary: set[str] = set()
        self.keep = PathFilter(self.root, config)
        self.lock = threading.RLock()
        self._later: threading.Timer | None = None  # the save put off by CACHE_SAVE_EVERY, if one is

    @classmethod
    def for_kernel(cls, kernel: Kernel, config: MapConfig | None = None) -> MapScanner:
        """A scanner for the kernel's workspace, its ``[map]`` configuration and its ``count_tokens`` hook."""
        return cls(kernel.workspace, config or MapConfig.from_workspace(kernel.workspace), TokenCounter(kernel.hooks))

    # -- measuring one file ------------------------------------------------------------
    def _stamp(self, rel: str) -> Stamp | None:
        try:
            info = os.lstat(self._prefix + rel)
        except OSError:
            return None
        if not st.S_ISREG(info.st_mode):
            return None  # symlinks, devices, directories: not documents of this project
        return (info.st_size, info.st_mtime_ns, info.st_ino)

    def _count(self, rel: str, stamp: Stamp) -> FileEntry | object | None:
        """Read and count ``rel``; ``_BINARY`` for a binary file, ``None`` if it vanished meanwhile."""
        try:
            data = _read(self._prefix + rel, stamp[0])
        except FileNotFoundError:
            return None
        except OSError as exc:
            return FileEntry(rel, stamp[0], None, "error", f"cannot read: {exc.strerror or exc}")
        if b"\0" in data[:BINARY_PROBE]:
            self.cache.put(rel, stamp, None)
            return _BINARY
        text = data.decode("utf-8", errors="replace")
        try:
            tokens = self.counter.count(text, rel)
        except CountFailed as exc:
            return FileEntry(rel, len(data), None, "error", f"token count failed: {exc}")
        self.cache.put(rel, stamp, tokens)
        return self._entry(rel, stamp[0], tokens)

    def _entry(self, rel: str, size: int, tokens: int) -> FileEntry:
        return FileEntry(rel, size, tokens, level_for(tokens, self.config.long, self.config.too_long))

    def _apply(self, rel: str, result: FileEntry | object | None) -> bool:
        """Record ``result`` for ``rel``; True when the map changed."""
        if result is None or result is _BINARY:
            changed = rel in self.entries
            self.entries.pop(rel, None)
            if result is _BINARY:
                self.binary.add(rel)
            else:
                self.binary.discard(rel)
            return changed
        assert isinstance(result, FileEntry)
        self.binary.discard(rel)
        changed = self.entries.get(rel) != result
        self.entries[rel] = result
        return changed

    # -- whole tree and increments -------------------------------------------------------
    def survey(self) -> Survey:
        """List the workspace and match every file's stamp against the cache, reading no file."""
        listed = list_files(self.root, self.config)
        prefix, lstat, is_reg = self._prefix, os.lstat, st.S_ISREG
        rows = self.cache.entries
        old = self.entries
        config = self.config
        survey = Survey({}, [], {}, set())
        stamps, misses, entries, binary = survey
        long, too_long = config.long, config.too_long
        for rel in listed:
            try:
                info = lstat(prefix + rel)
            except OSError:
                continue
            if not is_reg(info.st_mode):
                continue  # vanished, or a symlink, device or directory: not a document of this project
            size = info.st_size
            stamp = stamps[rel] = (size, info.st_mtime_ns, info.st_ino)
            # The cache's hit test, inlined: this loop runs once per file of the project.
            row = rows.get(rel)
            if type(row) is not list or len(row) != 4 or row[0] != size or row[1] != stamp[1] or row[2] != stamp[2]:
                misses.append(rel)
                continue
            tokens = row[3]
            if tokens is None:
                binary.add(rel)
            elif type(tokens) is not int or tokens < 0:
                misses.append(rel)
            else:
                entry = old.get(rel)
                entries[rel] = entry if entry is not None and entry.tokens == tokens and entry.size == size \
                    else FileEntry(rel, size, tokens, level_for(tokens, long, too_long))
        return survey

    def full_scan(self, progress: Progress | None = None, *, survey: Survey | None = None) -> bool:
        """List and measure the whole workspace, reusing cached counts; True when the map changed.

        ``survey`` is a :meth:`survey` just taken (to decide on a progress bar
        without listing twice); by default one is taken here.
        """
        with self.lock:
            stamps, misses, new_entries, new_binary = survey if survey is not None else self.survey()
            for done, rel in enumerate(misses, 1):
                result = self._count(rel, stamps[rel])
                if result is _BINARY:
                    new_binary.add(rel)
                elif isinstance(result, FileEntry):
                    new_entries[rel] = result
                if progress is not None:
                    progress(done, len(misses))
            changed = new_entries != self.entries
            self.entries, self.binary = new_entries, new_binary
            self.cache.keep_only(stamps.keys())
            self.cache.save()
            return changed

    def uncached(self) -> int:
        """How many listed files a full scan would have to read (for deciding on a progress bar)."""
        return len(self.survey().misses)

    def update(self, paths: Iterable[str]) -> bool:
        """Re-measure the workspace-relative ``paths`` (created, modified or deleted); True when the map changed.

        A path never seen before is looked up in the file listing, so ignored
        files stay out. Known files in the same directories are re-checked
        too: a rename reports its destination only, and the source must go.
        """
        wanted = {p for p in paths if p and self.keep(p)}
        if not wanted:
            return False
        with self.lock:
            known = self.entries.keys() | self.binary
            unknown = {p for p in wanted if p not in known}
            listed: set[str] = set()
            if unknown and any(self._stamp(p) is not None for p in unknown):
                listed = set(list_files(self.root, self.config))
            dirs = {p.rpartition("/")[0] for p in wanted}
            siblings = {rel for rel in known if rel.rpartition("/")[0] in dirs and rel not in wanted}
            changed = False
            for rel in siblings:
                if self._stamp(rel) is None:
                    changed = self._apply(rel, None) or changed
                    self.cache.forget(rel)
            for rel in sorted(wanted):
                stamp = self._stamp(rel)
                if stamp is None or (rel in unknown and rel not in listed):
                    changed = self._apply(rel, None) or changed
                    self.cache.forget(rel)
                    continue
                hit, tokens = self.cache.get(rel, stamp)
                if hit:
                    result: FileEntry | object | None = (_BINARY if tokens is None
                                                         else self._entry(rel, stamp[0], tokens))
                else:
                    result = self._count(rel, stamp)
                changed = self._apply(rel, result) or changed
            # Between full scans the cache is a convenience: saving it on every event would cost more than the update.
            self.cache.save(at_most_every=CACHE_SAVE_EVERY)
            if self.cache.dirty and self._later is None:  # put off, not forgotten: the last change is saved too
                self._later = threading.Timer(CACHE_SAVE_EVERY, self._save_later)
                self._later.daemon = True
                self._later.start()
            return changed

    def _save_later(self) -> None:
        with self.lock:
            self._later = None
            with contextlib.suppress(OSError):  # a full or read-only disk: the next update or scan saves it
                self.cache.save()

    def snapshot(self, phase: str | None = None) -> ProjectMap:
        """The map as it stands; ``phase`` defaults to what ``phase.json`` says (or expansion)."""
        with self.lock:
            files = [self.entries[rel] for rel in sorted(self.entries)]
            binary = len(self.binary)
        if phase is None:
            record = read_phase(self.workspace)
            phase = record["phase"] if record else EXPANSION
        return ProjectMap(files=files, long=self.config.long, too_long=self.config.too_long, budget=self.config.budget,
                          phase=phase, generated_at=utc_now(), counter=self.cache.counter, skipped_binary=binary)

    def measure_paths(self, paths: Iterable[Path]) -> list[FileEntry]:
        """Count the given absolute paths (any file, listed or not; binary ones skipped), for ``kin check``."""
        out: list[FileEntry] = []
        with self.lock:
            for path in paths:
                rel = self.workspace.relative(path)
                stamp = self._stamp(rel)
                if stamp is None:
                    continue
                hit, tokens = self.cache.get(rel, stamp)
                if hit:
                    if tokens is not None:
                        out.append(self._entry(rel, stamp[0], tokens))
                    continue
                result = self._count(rel, stamp)
                if isinstance(result, FileEntry):
                    out.append(result)
            self.cache.save()
        return out
