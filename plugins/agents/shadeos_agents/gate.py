"""The write gate: every read and write an agent makes on the project goes through it.

A write is checked by the :class:`~shadeos_agents.policy.PathPolicy`, done
under the file's lease (the agent's luciorbe names the file as
``current_file`` meanwhile, waiting included), against the content the agent
based it on, and atomically (a temporary file beside the target, then
``os.replace``): readers see the old file or the new one, never a mix.

Lost updates are impossible by construction: an edit is always applied to
the file as it is under the lease. A SEARCH/REPLACE edit whose base changed
since the agent read the file is re-applied to the fresh content when its
SEARCH still matches exactly once (the other agent's change is kept, and the
edit is recorded as ``reapplied``); a whole-file write whose base changed is
refused with the fresh content, for the model to redo it.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .editformat import NoMatch, apply_edit
from .leases import Lease, LeaseBusy, Leases
from .policy import PathPolicy, Refused

__all__ = ["WriteGate", "Edit", "EditFailed", "MAX_READ_BYTES"]

#: Largest file an agent reads whole (a bigger one is refused with its size).
MAX_READ_BYTES = 1_000_000


class EditFailed(Exception):
    """An edit that could not be applied (no match, stale whole-file write, lease busy); says how to proceed."""


@dataclass
class Edit:
    """One edit attempt as recorded in the agent's history (never the file's content)."""

    path: str
    op: str  # edit | write | create
    outcome: str  # applied | refused | failed
    reason: str = ""
    reapplied: bool = False
    broke_lease_of: str | None = None
    waited_for: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "op": self.op, "outcome": self.outcome}
        if self.reason:
            data["reason"] = self.reason
        if self.reapplied:
            data["reapplied"] = True
        if self.broke_lease_of:
            data["broke_lease_of"] = self.broke_lease_of
        if self.waited_for:
            data["waited_for"] = self.waited_for
        return data


def digest(data: bytes | None) -> str:
    return "" if data is None else hashlib.sha256(data).hexdigest()


def _read_bytes(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _decode(data: bytes, rel: str) -> str:
    if b"\x00" in data[:8192]:
        raise EditFailed(f"{rel} is a binary file: agents edit text files only")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EditFailed(f"{rel} is not UTF-8 text: agents edit text files only") from None


@dataclass
class WriteGate:
    """Reads and writes of one agent. Callbacks let the agent show and record what happens.

    ``on_file(rel)`` is called with the path before waiting for its lease and
    with ``""`` once the write is done (the agent's luciorbe ``current_file``);
    ``on_conflict(kind, rel, other)`` when another agent holds the file or
    changed it since it was read; ``on_applied(edit)`` after each applied edit.
    """

    policy: PathPolicy
    leases: Leases
    lease_wait: float = 30.0
    on_file: Callable[[str], None] = lambda rel: None
    on_conflict: Callable[[str, str, str], None] = lambda kind, rel, other: None
    on_applied: Callable[[Edit], None] = lambda edit: None
    bases: dict[str, str] = field(default_factory=dict)  # rel -> digest of the content the agent last saw
    edits: list[Edit] = field(default_factory=list)
    created: set[str] = field(default_factory=set)

    @property
    def root(self) -> Path:
        return self.policy.root

    @property
    def changed(self) -> list[str]:
        """Paths this gate changed (in order of first change)."""
        seen: dict[str, None] = {}
        for edit in self.edits:
            if edit.outcome == "applied":
                seen.setdefault(edit.path, None)
        return list(seen)

    # -- reading -----------------------------------------------------------------------------
    def read(self, raw: object) -> tuple[str, str]:
        """``(rel, text)`` of a file the agent may read; the content becomes the base of its later edits."""
        rel = self.policy.check_read(raw)
        path = self.root / rel
        try:
            info = path.stat()
        except FileNotFoundError:
            raise EditFailed(f"{rel} does not exist") from None
        if not stat.S_ISREG(info.st_mode):
            raise EditFailed(f"{rel} is not a regular file")
        if info.st_size > MAX_READ_BYTES:
            raise EditFailed(f"{rel} is {info.st_size} bytes, over the {MAX_READ_BYTES} an agent reads whole")
        data = _read_bytes(path)
        if data is None:
            raise EditFailed(f"{rel} does not exist")
        text = _decode(data, rel)
        self.bases[rel] = digest(data)
        return rel, text

    def saw(self, rel: str, data: bytes) -> None:
        """Record that the agent was shown ``data`` as the content of ``rel`` (in its context)."""
        self.bases[rel] = digest(data)

    # -- writing -----------------------------------------------------------------------------
    def edit(self, raw: object, search: str, replace: str) -> Edit:
        """Replace ``search`` by ``replace`` in a file (an empty ``search`` creates it)."""
        op = "create" if not search.strip() else "edit"
        rel = self._check(raw, op)

        def change(current: bytes | None, edit: Edit) -> bytes:
            text = None if current is None else _decode(current, rel)
            base = self.bases.get(rel)
            try:
                updated = apply_edit(text, search, replace, path=rel)
            except NoMatch as exc:
                if base is not None and base != digest(current):
                    raise EditFailed(f"{exc} (the file changed since you read it: read it again)") from None
                raise EditFailed(str(exc)) from None
            if base is not None and current is not None and base != digest(current):
                edit.reapplied = True  # someone else changed the file since: applied to their version
            return updated.encode("utf-8")

        return self._write(rel, op, change)

    def write(self, raw: object, content: str) -> Edit:
        """Write a whole file: new, or one the agent read and nobody changed since."""
        rel = self._check(raw, "write")

        def change(current: bytes | None, edit: Edit) -> bytes:
            if current is not None:
                base = self.bases.get(rel)
                if base is None:
                    raise EditFailed(f"{rel} exists and you have not read it: read it first, or change it with "
                                     "edit_file")
                if base != digest(current):
                    text = current.decode("utf-8", "replace")
                    self.bases[rel] = digest(current)
                    raise EditFailed(f"{rel} changed since you read it (another agent wrote it); nothing was written. "
                                     f"Its content now:\n{text}\nRedo your change on this content.")
            return content.encode("utf-8")

        edit = self._write(rel, "write", change)
        if edit.outcome == "applied" and rel in self.created:
            edit.op = "create"
        return edit

    # -- internals ---------------------------------------------------------------------------
    def _check(self, raw: object, op: str) -> str:
        try:
            return self.policy.check_write(raw)
        except Refused as exc:
            self.edits.append(Edit(exc.path, op, "refused", exc.reason))
            raise

    def _write(self, rel: str, op: str, change: Callable[[bytes | None, Edit], bytes]) -> Edit:
        edit = Edit(rel, op, "failed")
        target = self.root / rel

        def busy(holder: dict[str, Any]) -> None:
            other = str(holder.get("holder", "another agent"))
            edit.waited_for = other
            self.on_conflict("lease", rel, other)

        self.on_file(rel)
        try:
            with self.leases.hold(rel, wait=self.lease_wait, on_busy=busy) as lease:
                if lease.broken is not None:
                    edit.broke_lease_of = str(lease.broken.get("holder", "?"))
                current = _read_bytes(target)
                base = self.bases.get(rel)
                if base is not None and current is not None and base != digest(current):
                    self.on_conflict("stale", rel, "")
                data = change(current, edit)
                self._replace(target, data, lease, existed=current is not None)
                if current is None:
                    self.created.add(rel)
                self.bases[rel] = digest(data)
        except LeaseBusy as exc:
            edit.reason = str(exc)
            self.edits.append(edit)
            raise EditFailed(f"{exc}; nothing was written: try again later or work on another file") from None
        except EditFailed as exc:
            edit.reason = str(exc).splitlines()[0][:300]
            self.edits.append(edit)
            raise
        finally:
            self.on_file("")
        edit.outcome = "applied"
        self.edits.append(edit)
        self.on_applied(edit)
        return edit

    def _replace(self, target: Path, data: bytes, lease: Lease, *, existed: bool) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if existed:
            mode = stat.S_IMODE(target.stat().st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        temp = target.parent / f".{target.name}.{os.getpid()}.kin.tmp"
        lease.note_temp(str(temp))
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.chmod(temp, mode)
            _pause_for_tests(target)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        lease.note_temp(None)


def _pause_for_tests(target: Path) -> None:
    """Fault injection for the kill-mid-write tests: ``KIN_AGENTS_PAUSE_BEFORE_REPLACE=<seconds>[:<file name>]``.

    The temporary file is complete and the target untouched at this point, the
    worst moment for a SIGKILL; the tests prove no torn file and a broken lease.
    """
    setting = os.environ.get("KIN_AGENTS_PAUSE_BEFORE_REPLACE")
    if setting:
        import time

        seconds, _, name = setting.partition(":")
        if not name or name == target.name:
            with contextlib.suppress(ValueError):
                time.sleep(float(seconds))
