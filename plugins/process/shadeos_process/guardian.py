"""The guardian: a small process that stops a parent's children, whole trees, once the parent is gone.

Run as ``python -I -S guardian.py PARENT_PID [GRACE]`` with, as stdin, the read
end of a pipe whose write end only the parent holds. The parent writes one line
per event:

- ``+<pid>``: a child it started (the guardian reads its start time at once);
- ``+<pid> <create_time>``: the same with the start time given (psutil's
  ``create_time``, seconds since the epoch);
- ``-<pid>``: a child it reaped, to forget.

End of file means the parent is gone: the kernel closes a dead process's
descriptors however it died, SIGKILL included. A SIGTERM while the parent no
longer runs means the same (the guardian arms ``PR_SET_PDEATHSIG`` with it, in
case a stray copy of the write end keeps the pipe open). The guardian then
stops every child still registered: SIGTERM to the child, its process group
and session, and every descendant; ``GRACE`` seconds; SIGKILL to what is left;
then it exits. A pid whose start time no longer matches is never signalled.

Standard library only, no package import: it starts in a few milliseconds
under ``-I -S`` and cannot be broken by the environment of the parent.
"""
from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time

#: Seconds between SIGTERM and SIGKILL when the parent is gone.
GRACE = 1.0
#: Seconds the guardian lets lines pile up after a read: a burst of short runs then wakes it 20 times a
#: second instead of twice a run (a write to a pipe nobody waits on wakes nobody), and a child started and
#: reaped within one pause costs it nothing. Its parent's death is seen at most this late.
BATCH = 0.05
#: Two readings of one process's start time agree to well under this (psutil's clock-tick resolution is 10 ms).
TOLERANCE = 0.05
_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _boot_time() -> float:
    with open("/proc/stat", "rb") as stat:
        for line in stat:
            if line.startswith(b"btime"):
                return float(line.split()[1])
    return 0.0


_BOOT = _boot_time()


def read_stat(pid: int) -> tuple[int, int, int, float, bytes] | None:
    """``(ppid, pgrp, session, create_time, state)`` of ``pid`` from ``/proc`` (``None`` when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2:].split()
    # after the command name: state ppid pgrp session ... starttime is field 22 of the whole line
    return int(fields[1]), int(fields[2]), int(fields[3]), _BOOT + int(fields[19]) / _HZ, fields[0]


def scan() -> dict[int, tuple[int, int, int, float, bytes]]:
    """Every process of the system as :func:`read_stat` sees it."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = read_stat(int(name))
            if info is not None:
                table[int(name)] = info
    return table


class Registry:
    """The children the parent reported and not yet released: pid -> start time (``None``: gone when looked)."""

    def __init__(self) -> None:
        self.children: dict[int, float | None] = {}
        self._partial = b""

    def feed(self, chunk: bytes) -> None:
        """Apply the complete lines of ``chunk``; a child started and reaped within one chunk costs no lookup."""
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        fresh = []
        for line in lines:
            try:
                if line.startswith(b"+"):
                    parts = line[1:].split()
                    pid = int(parts[0])
                    self.children[pid] = float(parts[1]) if len(parts) > 1 else None
                    if len(parts) == 1:
                        fresh.append(pid)
                elif line.startswith(b"-"):
                    self.children.pop(int(line[1:]), None)
            except (ValueError, IndexError):
                continue  # a malformed line is not worth dying for
        for pid in fresh:
            if pid in self.children and self.children[pid] is None:
                info = read_stat(pid)
                self.children[pid] = None if info is None else info[3]


def _same(info: tuple[int, int, int, float, bytes] | None, started: float) -> bool:
    return info is not None and abs(info[3] - started) <= TOLERANCE


def targets(children: dict[int, float | None], table: dict[int, tuple[int, int, int, float, bytes]],
           spare: set[int]) -> dict[int, float]:
    """The processes to stop, pid -> start time: each registered child still ours, its group, session, descendants.

    A registered pid now held by a process with another start time was reused:
    it and its group are left alone. A registered pid that no longer runs but
    still names a group or session is ours: Linux does not hand out a pid
    while it still numbers a live group or session.
    """
    kids: dict[int, list[int]] = {}
    for pid, info in table.items():
        kids.setdefault(info[0], []).append(pid)
    roots = []
    for pid, started in children.items():
        found = table.get(pid)
        if found is not None and (started is None or not _same(found, started)):
            continue  # reused (or, with None, not there when registered): not ours
        if found is not None:
            roots.append(pid)
        roots.extend(p for p, i in table.items() if p != pid and (i[1] == pid or i[2] == pid))
    chosen: dict[int, float] = {}
    while roots:
        pid = roots.pop()
        if pid in chosen or pid in spare or pid not in table:
            continue
        chosen[pid] = table[pid][3]
        roots.extend(kids.get(pid, ()))
    return chosen


def _signal(victims: dict[int, float], sig: int) -> None:
    for pid, started in victims.items():
        if _same(read_stat(pid), started):  # checked again right before: a pid may have been reused meanwhile
            with contextlib.suppress(OSError):
                os.kill(pid, sig)


def _alive(victims: dict[int, float]) -> dict[int, float]:
    out = {}
    for pid, started in victims.items():
        info = read_stat(pid)
        if _same(info, started) and info[4] != b"Z":  # type: ignore[index]
            out[pid] = started
    return out


def stop(children: dict[int, float | None], grace: float = GRACE) -> dict[int, float]:
    """Stop every registered child's tree: SIGTERM, up to ``grace`` seconds, SIGKILL. Returns what got SIGKILL."""
    spare = {os.getpid(), 1}
    victims = targets(children, scan(), spare)
    if not victims:
        return {}
    _signal(victims, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _alive(victims) and time.monotonic() < deadline:
        time.sleep(0.02)
    # What the trees spawned or left behind while dying is caught by a second look.
    late = targets(children, scan(), spare)
    late.update(_alive(victims))
    left = _alive(late)
    _signal(left, signal.SIGKILL)
    return left


def _prctl(option: int, value: int | bytes) -> None:
    with contextlib.suppress(Exception):  # no prctl (not Linux): end of file alone has to do
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(option, value, 0, 0, 0)


def listen_for_sigterm() -> int:
    """Make SIGTERM readable: the returned descriptor gets a byte per signal.

    The handler itself does nothing, so no exception can cut a chunk in half.
    """
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
    return wake_r


def follow(fd: int, registry: Registry, parent: int, wake_r: int) -> None:
    """Feed ``registry`` from ``fd`` until end of file, or until a SIGTERM (on ``wake_r``) finds the parent gone."""
    while True:
        ready, _, _ = select.select([fd, wake_r], [], [])
        if wake_r in ready:
            os.read(wake_r, 512)
            # While the parent lives it stays the one to end us: a tree kill of the parent sent this.
            if os.getppid() != parent:
                drain(fd, registry)
                return
        if fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            registry.feed(chunk)
            time.sleep(BATCH)


def drain(fd: int, registry: Registry) -> None:
    """Feed what is already written, without waiting for more."""
    os.set_blocking(fd, False)
    with contextlib.suppress(OSError):
        while chunk := os.read(fd, 65536):
            registry.feed(chunk)


def main(argv: list[str]) -> int:
    parent = int(argv[1])
    grace = float(argv[2]) if len(argv) > 2 else GRACE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    wake_r = listen_for_sigterm()
    _prctl(_PR_SET_NAME, b"kin-guardian")
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    registry = Registry()
    if os.getppid() == parent:
        follow(0, registry, parent, wake_r)
    else:  # it died before PR_SET_PDEATHSIG was armed
        drain(0, registry)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stop(registry.children, grace)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
