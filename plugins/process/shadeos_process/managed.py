"""The processes this Python process started and still manages: handles, output buffers, completion.

The table is per OS process on purpose: only the parent of a child can reap it
and read its pipes. Other ``kin`` processes see managed processes through their
records (:mod:`shadeos_process.records`).
"""
from __future__ import annotations

import collections
import contextlib
import re
import subprocess
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from shadeos_core.errors import KinError
from shadeos_core.execution import ExecutionResult
from shadeos_core.fsio import atomic_write_json
from shadeos_core.workspace import Workspace

from .collect import TailBuffer
from .records import ProcessRecord, record_path

__all__ = ["ManagedProcess", "lookup", "require", "managed", "forget", "TAIL_LINES"]

#: Lines of each stream kept for ``read_from_process`` and the command daemon's notes.
TAIL_LINES = 200
#: read_until never holds more than this much unread output (older text is dropped).
_UNREAD_LIMIT = 1 << 20
#: The longest line kept whole; an endless line is cut into lines of this size (its memory stays bounded).
_LINE_LIMIT = 1 << 16

_TABLE: dict[int, ManagedProcess] = {}
_LOCK = threading.Lock()


class ManagedProcess:
    """A child started by an execution mode. ``result`` is filled in place when it ends."""

    def __init__(self, popen: subprocess.Popen[bytes], *, mode: str, name: str, argv: list[str],
                 workspace: Workspace | None, record: ProcessRecord | None) -> None:
        self.popen = popen
        self.pid = popen.pid
        self.mode = mode
        self.name = name
        self.argv = argv
        self.workspace = workspace
        self.record = record
        self.started = time.perf_counter()
        self.result = ExecutionResult(pid=popen.pid, mode=mode)
        self.done = threading.Event()
        self.out_tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.err_tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.out_chunks = TailBuffer()  # what a monitored or interactive run keeps: its newest output
        self.err_chunks = TailBuffer()
        self.keep_output = False
        self.on_complete: Callable[[ExecutionResult], Any] | None = None
        self.readers: list[threading.Thread] = []
        self.timer: threading.Timer | None = None
        self._unread = ""
        self._cond = threading.Condition()
        self._finish_lock = threading.Lock()

    # -- output ----------------------------------------------------------------------------
    def pump(self, stream: IO[bytes], which: str, callback: Callable[[str], Any] | None) -> threading.Thread:
        """Read ``stream`` line by line in a thread: keep a tail, feed ``read_until``, call ``callback``."""

        def run() -> None:
            tail = self.out_tail if which == "stdout" else self.err_tail
            chunks = self.out_chunks if which == "stdout" else self.err_chunks
            partial = b""
            try:
                # read1 hands over whatever arrived, so read_until sees a prompt that ends no line
                for chunk in iter(lambda: stream.read1(65536), b""):  # type: ignore[attr-defined]
                    with self._cond:
                        self._unread = (self._unread + chunk.decode("utf-8", "replace"))[-_UNREAD_LIMIT:]
                        self._cond.notify_all()
                    *complete, partial = (partial + chunk).split(b"\n")
                    for raw in complete:
                        self._line(raw + b"\n", tail, chunks, callback)
                    while len(partial) > _LINE_LIMIT:  # no newline in sight: cut, never hold it all
                        self._line(partial[:_LINE_LIMIT], tail, chunks, callback)
                        partial = partial[_LINE_LIMIT:]
                if partial:
                    self._line(partial, tail, chunks, callback)
            finally:
                with contextlib.suppress(OSError):
                    stream.close()
                with self._cond:
                    self._cond.notify_all()

        thread = threading.Thread(target=run, daemon=True, name=f"kin-{which}-{self.pid}")
        thread.start()
        self.readers.append(thread)
        return thread

    def _line(self, raw: bytes, tail: collections.deque[str], chunks: TailBuffer,
              callback: Callable[[str], Any] | None) -> None:
        text = raw.decode("utf-8", "replace")
        line = text.rstrip("\r\n")
        tail.append(line[:_LINE_LIMIT])
        if self.keep_output:
            chunks.append(raw)
        if callback is not None:
            try:
                callback(line)
            except Exception:  # a failing callback must not stop the reading
                import logging

                logging.getLogger("kin.process").exception("output callback of pid %d failed", self.pid)

    def read_until(self, pattern: str | re.Pattern[str], timeout: float | None = None) -> str:
        """Wait until the unread output matches ``pattern``; return it up to the end of the match and consume it."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                match = regex.search(self._unread)
                if match:
                    text, self._unread = self._unread[:match.end()], self._unread[match.end():]
                    return text
                readers_done = self.readers and not any(t.is_alive() for t in self.readers)
                if readers_done:
                    raise KinError(f"process {self.pid} ended before printing {regex.pattern!r}",
                                   hint=f"it printed: {self._unread[-200:]!r}")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"process {self.pid} did not print {regex.pattern!r} in {timeout}s "
                                       f"(unread: {self._unread[-200:]!r})")
                self._cond.wait(0.5 if left is None else min(left, 0.5))

    def write(self, data: str | bytes) -> None:
        stdin = self.popen.stdin
        if stdin is None:
            raise KinError(f"process {self.pid} has no stdin pipe",
                           hint="start it with mode=ExecutionMode.INTERACTIVE to write to it")
        payload = data.encode("utf-8") if isinstance(data, str) else data
        try:
            stdin.write(payload)
            stdin.flush()
        except (BrokenPipeError, ValueError) as exc:
            raise KinError(f"process {self.pid} no longer reads its input ({type(exc).__name__})") from None

    # -- completion ------------------------------------------------------------------------
    def watch(self) -> None:
        """Reap the child in a thread when it ends (no zombies), then finish."""
        threading.Thread(target=self._wait_and_finish, daemon=True, name=f"kin-wait-{self.pid}").start()

    def _wait_and_finish(self) -> None:
        code = self.popen.wait()
        from . import guard  # here, not at the top: kin --help imports this module

        guard.release(self.pid)
        for reader in self.readers:
            reader.join()
        self.finish(code)

    def finish(self, returncode: int | None) -> None:
        """Record the end once: fill ``result``, update the record, fire ``on_complete``."""
        with self._finish_lock:
            if self.done.is_set():
                return
            if self.timer is not None:
                self.timer.cancel()
            result = self.result
            result.returncode = returncode
            result.duration = time.perf_counter() - self.started
            if self.keep_output:
                result.stdout = self.out_chunks.value().decode("utf-8", "replace")
                result.stderr = self.err_chunks.value().decode("utf-8", "replace")
                dropped = self.out_chunks.dropped + self.err_chunks.dropped
                if dropped:
                    result.extra["dropped_bytes"] = dropped
            if self.record is not None and self.workspace is not None:
                self.record.returncode = returncode
                self.record.ended_at = time.time()
                path = record_path(self.workspace, self.pid)
                if path.exists():  # a janitor or cleanup may have removed it already
                    with contextlib.suppress(OSError):
                        atomic_write_json(path, self.record.to_json(), indent=None)
            for pipe in (self.popen.stdin,):
                if pipe is not None:
                    with contextlib.suppress(OSError, ValueError):
                        pipe.close()
            self.done.set()
        if self.on_complete is not None:
            try:
                self.on_complete(result)
            except Exception:
                import logging

                logging.getLogger("kin.process").exception("on_complete of pid %d failed", self.pid)

    def wait(self, timeout: float | None = None) -> ExecutionResult:
        """Wait for the end (``TimeoutError`` if it does not come in ``timeout``)."""
        if not self.done.wait(timeout):
            raise TimeoutError(f"process {self.pid} still runs after {timeout}s")
        return self.result


def add(process: ManagedProcess) -> None:
    with _LOCK:
        _TABLE[process.pid] = process


def lookup(pid: int) -> ManagedProcess | None:
    with _LOCK:
        return _TABLE.get(pid)


def require(pid: int) -> ManagedProcess:
    found = lookup(pid)
    if found is None:
        raise KinError(f"process {pid} is not managed by this process",
                       hint="only processes started here through shadeos_process have pipes and captured output")
    return found


def managed() -> list[ManagedProcess]:
    with _LOCK:
        return list(_TABLE.values())


def forget(pid: int) -> None:
    with _LOCK:
        _TABLE.pop(pid, None)
