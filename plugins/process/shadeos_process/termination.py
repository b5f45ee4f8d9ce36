"""Stopping processes: one process, a whole tree (setsid escapees included), or every process of a name.

Trees are stopped the way supervisors do it: snapshot every descendant first
(a dying parent would orphan its children and hide them), signal them all,
wait on them together, then SIGKILL the survivors. Processes in a session led
by a member of the tree are swept too, which catches a grandchild whose parent
already died. Zombies count as gone. This process and its ancestors are never
signalled.
"""
from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shadeos_core.errors import KinError, UsageError

from . import managed

if TYPE_CHECKING:
    import psutil

__all__ = ["TreeKill", "kill_process", "kill_process_tree", "kill_processes_by_name", "send_signal_to_process",
           "interrupt_process", "terminate_process", "protected_pids"]

#: How long SIGKILLed processes get to disappear before they are reported as survivors.
_KILL_WAIT = 5.0


@dataclass
class TreeKill:
    """What stopping a tree did: ``returncode`` of the root when this process could reap it."""

    pid: int
    returncode: int | None = None
    terminated: list[int] = field(default_factory=list)  # gone after the first signal
    killed: list[int] = field(default_factory=list)  # needed SIGKILL
    survivors: list[int] = field(default_factory=list)  # still there after SIGKILL (should stay empty)


def protected_pids() -> set[int]:
    """This process and its ancestors: never signalled by anything here."""
    import psutil

    pids = {os.getpid()}
    with contextlib.suppress(psutil.Error):
        pids.update(p.pid for p in psutil.Process().parents())
    return pids


def _check_target(pid: int) -> None:
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        raise UsageError(f"invalid pid {pid!r}", hint="give a positive process id")
    if pid in protected_pids():
        raise UsageError(f"refusing to signal pid {pid}: it is this process or one of its ancestors")


def send_signal_to_process(pid: int, sig: int) -> None:
    """Send ``sig`` to ``pid`` (not to its group); a clear error when it does not exist or is not ours."""
    _check_target(pid)
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        raise KinError(f"no process {pid}", hint="see kin ps") from None
    except PermissionError:
        raise KinError(f"not allowed to signal process {pid}", hint="it belongs to another user") from None


def interrupt_process(pid: int) -> None:
    """SIGINT, as Ctrl+C would."""
    send_signal_to_process(pid, signal.SIGINT)


def terminate_process(pid: int) -> None:
    """SIGTERM: ask the process to stop."""
    send_signal_to_process(pid, signal.SIGTERM)


def _gone(proc: psutil.Process) -> bool:
    import psutil

    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def _wait_all(procs: list[psutil.Process], timeout: float) -> tuple[list[psutil.Process], list[psutil.Process]]:
    """Wait until every process is gone or ``timeout`` passes; ``(gone, alive)``.

    Children this process manages are reaped through their ``Popen`` (so their
    exit code is kept); the others through ``psutil.wait_procs``, with zombies
    (whose reaper may never come) counted as gone.
    """
    import psutil

    deadline = time.monotonic() + timeout
    alive = list(procs)
    gone: list[psutil.Process] = []
    pause = 0.002
    while True:
        ours = [p for p in alive if managed.lookup(p.pid) is not None]
        others = [p for p in alive if managed.lookup(p.pid) is None]
        if others:
            done, others = psutil.wait_procs(others, timeout=0)
            gone.extend(done)
        still = []
        for proc in ours:
            entry = managed.lookup(proc.pid)
            if entry is not None and entry.popen.poll() is not None:
                gone.append(proc)
            else:
                still.append(proc)
        for proc in others:
            (gone if _gone(proc) else still).append(proc)
        alive = still
        left = deadline - time.monotonic()
        if not alive or left <= 0:
            return gone, alive
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.05)


def _tree(root: psutil.Process, protected: set[int]) -> list[psutil.Process]:
    import psutil

    procs = [root]
    with contextlib.suppress(psutil.Error):
        procs.extend(root.children(recursive=True))
    return [p for p in procs if p.pid not in protected]


def _session_sweep(known: list[psutil.Process], protected: set[int]) -> list[psutil.Process]:
    """Processes in a session led by one of ``known`` that are not in ``known`` (orphans, late children)."""
    import psutil

    leaders = {p.pid for p in known}
    have = {p.pid for p in known}
    extra = []
    for proc in psutil.process_iter():
        if proc.pid in have or proc.pid in protected:
            continue
        try:
            if os.getsid(proc.pid) in leaders:
                extra.append(proc)
        except OSError:
            continue
    return extra


def _signal_all(procs: list[psutil.Process], sig: int) -> None:
    import psutil

    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)


def kill_process_tree(pid: int, timeout: float = 10.0, *, sig: int = signal.SIGTERM) -> TreeKill:
    """Stop ``pid`` and every descendant: ``sig`` to all, wait ``timeout``, SIGKILL survivors.

    Returns a :class:`TreeKill`; ``returncode`` is the root's exit code when it
    is a child this process manages. A pid that is already gone is not an error.
    """
    import psutil

    _check_target(pid)
    report = TreeKill(pid)
    protected = protected_pids()
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        report.returncode = _reap(pid)
        return report
    procs = _tree(root, protected)
    procs += _session_sweep(procs, protected)
    _signal_all(procs, sig)
    gone, alive = _wait_all(procs, timeout)
    report.terminated = [p.pid for p in gone]
    # Anything the tree spawned while dying, or reparented out of it, is caught again here.
    late = _session_sweep(procs, protected)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            late.extend(c for c in proc.children(recursive=True) if c.pid not in protected)
    victims = alive + [p for p in late if p.pid not in {q.pid for q in alive}]
    if victims:
        _signal_all(victims, signal.SIGKILL)
        gone2, left = _wait_all(victims, _KILL_WAIT)
        report.killed = [p.pid for p in victims]
        report.survivors = [p.pid for p in left]
    report.returncode = _reap(pid)
    return report


def _reap(pid: int) -> int | None:
    entry = managed.lookup(pid)
    if entry is None:
        return None
    with contextlib.suppress(Exception):
        return entry.popen.wait(timeout=_KILL_WAIT)
    return None


def kill_process(pid: int, force: bool = False, timeout: float = 10.0) -> int | None:
    """Stop one process: SIGTERM, wait ``timeout``, then SIGKILL (at once with ``force``).

    Returns its exit code when it is a child this process manages, else ``None``.
    """
    import psutil

    _check_target(pid)
    try:
        proc = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return _reap(pid)
    _signal_all([proc], signal.SIGKILL if force else signal.SIGTERM)
    _, alive = _wait_all([proc], 0 if force else timeout)
    if alive:
        _signal_all(alive, signal.SIGKILL)
        _wait_all(alive, _KILL_WAIT)
    return _reap(pid)


def kill_processes_by_name(name: str, *, force: bool = False, timeout: float = 10.0) -> list[int]:
    """Stop every process of this user whose name is exactly ``name`` (never this process or its ancestors).

    SIGTERM to all (SIGKILL with ``force``), wait together, SIGKILL survivors.
    Returns the pids that were signalled.
    """
    import psutil

    if not name:
        raise UsageError("empty process name")
    uid = os.getuid()
    protected = protected_pids()
    targets = []
    for proc in psutil.process_iter(["name", "uids"]):
        info = proc.info
        if proc.pid in protected or info.get("name") != name:
            continue
        uids = info.get("uids")
        if uids is None or uids.real != uid:
            continue
        targets.append(proc)
    _signal_all(targets, signal.SIGKILL if force else signal.SIGTERM)
    _, alive = _wait_all(targets, 0 if force else timeout)
    if alive:
        _signal_all(alive, signal.SIGKILL)
        _wait_all(alive, _KILL_WAIT)
    for proc in targets:
        _reap(proc.pid)
    return [p.pid for p in targets]
