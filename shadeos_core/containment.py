"""Plugin code is untrusted for the kernel's liveness: what a hook does can be reported, never fatal.

- :func:`contained` runs one hook implementation and turns *any* exception it
  raises (``SystemExit`` and ``KeyboardInterrupt`` included) into one line
  naming the plugin, reported once per plugin and hook.
- :class:`EventDispatcher` delivers ``daemon_event`` on a thread of its own,
  in order, so a listener that hangs never stalls the loop that emitted the
  event: the queue is bounded and, once full, events are dropped with one
  warning.
- :func:`run_isolated` runs a function in a forked child with a timeout, for
  checks: a check that exits (even through ``os._exit``), hangs or crashes the
  interpreter becomes an error finding instead of deciding ``kin check``'s fate.
"""
from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import queue
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from .fsio import loads_json

__all__ = ["GracefulStop", "contained", "report_once", "EventDispatcher", "run_isolated", "Isolated"]

log = logging.getLogger("kin.plugins")
_reported: set[tuple[str, str]] = set()
_reported_lock = threading.Lock()


class GracefulStop(BaseException):
    """Raised inside a running daemon's cycle when a stop signal arrives (never contained: it must unwind)."""


def report_once(plugin: str, hook: str, text: str) -> None:
    """Say ``text`` once per (plugin, hook) on stderr and in the log; later repeats go to the debug log only."""
    key = (plugin, hook)
    with _reported_lock:
        first = key not in _reported
        _reported.add(key)
    if not first:
        log.debug("%s", text)
    elif logging.getLogger().handlers:
        log.warning("%s", text)  # a daemon's process: its log file
    else:
        with contextlib.suppress(OSError, ValueError):  # a command or the orchestrator: the person's terminal
            sys.stderr.write(f"kin: warning: {text}\n")
            sys.stderr.flush()


def contained(plugin: str, hook: str, fn: Callable[..., Any], **kwargs: Any) -> tuple[bool, Any]:
    """``(True, result)``, or ``(False, None)`` after reporting what ``fn`` raised (whatever it was)."""
    try:
        return True, fn(**kwargs)
    except GracefulStop:
        raise
    except BaseException as exc:  # noqa: BLE001 - a plugin's sys.exit or KeyboardInterrupt must not stop us
        report_once(plugin, hook, f"plugin {plugin!r}: its {hook} hook failed: {_describe(exc)} (ignored; "
                                  "fix or disable the plugin: kin -p no:" + plugin + ")")
        return False, None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class EventDispatcher:
    """Delivers events to listeners on one thread, in order; ``deliver(event)`` calls the listeners."""

    MAXSIZE = 10_000

    def __init__(self, deliver: Callable[[Any], None], *, maxsize: int = MAXSIZE,
                 build: Callable[..., Any] | None = None) -> None:
        self.deliver = deliver
        self.build = build  # makes an event of what :meth:`hold` was given, on the event thread
        self.queue: queue.Queue[Any] = queue.Queue(maxsize)
        self.dropped = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._later: collections.deque[Any] = collections.deque()
        self._release_lock = threading.Lock()
        self.held_since: float | None = None  # monotonic time of the oldest event held back

    def put(self, event: Any, *, later: bool = False) -> None:
        """Queue ``event`` for the listeners. With ``later`` it waits, without waking the event thread, for the next
        event put without it or for :meth:`release`, and then goes in its order."""
        if later:
            if self.held_since is None:
                self.held_since = time.monotonic()
            self._later.append(event)
            return
        if self._later:
            self.release()
        self._put(event)

    def hold(self, parts: tuple[Any, ...]) -> None:
        """Hold back the event ``build(*parts)`` as ``put(..., later=True)`` does; it is made only when delivered,
        off the emitting thread (a daemon's runner emits a few per message)."""
        if self.held_since is None:
            self.held_since = time.monotonic()
        self._later.append(_Parts(parts))

    def release(self) -> None:
        """Queue the events held back by ``later``, in their order: one item, one wake-up of the event thread."""
        with self._release_lock:
            self.held_since = None
            batch = []
            while self._later:
                batch.append(self._later.popleft())
            if batch:
                self._put(_Batch(batch))

    def _put(self, event: Any) -> None:
        self._start()
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1:
                report_once("kernel", "daemon_event", f"event listeners are not keeping up (a listener hangs?): "
                                                      f"events are dropped, the first one: {getattr(event, 'kind', event)}")

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait (at most ``timeout``) until every event put so far is delivered; False if listeners are stuck."""
        self.release()
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kin-events", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                for event in item if isinstance(item, _Batch) else (item,):
                    try:
                        self.deliver(self.build(*event) if isinstance(event, _Parts) and self.build else event)
                    except BaseException:  # noqa: BLE001 - deliver contains each listener; this guards the thread
                        log.debug("event delivery failed", exc_info=True)
            finally:
                self.queue.task_done()


class _Batch(list[Any]):
    """Events released together: one item of the queue."""


class _Parts(tuple[Any, ...]):
    """What an event held back with :meth:`EventDispatcher.hold` is made of."""


class Isolated:
    """What :func:`run_isolated` gives back: ``ok`` with ``value``, or the ``problem`` in one line."""

    def __init__(self, ok: bool, value: Any = None, problem: str = "") -> None:
        self.ok = ok
        self.value = value
        self.problem = problem


def run_isolated(fn: Callable[[], Any], *, timeout: float) -> Isolated:
    """Run ``fn()`` in a forked child and return its JSON-able result.

    Whatever the child does (raise, ``sys.exit``, ``os._exit``, hang past
    ``timeout``, die of a signal) this process goes on and says what happened.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, write the result, leave without running anything of the parent's
        os.close(read_fd)
        code = 0
        try:
            try:
                payload = {"ok": fn()}
            except BaseException as exc:  # noqa: BLE001 - reported to the parent, whatever it was
                payload = {"error": _describe(exc)}
            data = json.dumps(payload, default=str).encode("utf-8")
            view = memoryview(data)
            while view:
                view = view[os.write(write_fd, view):]
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
    if timed_out:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return Isolated(False, problem=f"did not finish within {timeout:g}s (stopped)")
    try:
        report: Any = loads_json(b"".join(chunks)) if chunks else None
    except ValueError:
        report = None
    if isinstance(report, dict) and "ok" in report:
        return Isolated(True, report["ok"])
    if isinstance(report, dict) and "error" in report:
        return Isolated(False, problem=f"failed: {report['error']}")
    if os.WIFSIGNALED(status):
        return Isolated(False, problem=f"died of signal {signal.Signals(os.WTERMSIG(status)).name} without reporting")
    return Isolated(False, problem=f"exited (code {os.WEXITSTATUS(status)}) without reporting")
