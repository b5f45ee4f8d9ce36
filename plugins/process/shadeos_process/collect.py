"""Reading a blocking child's output to the end and reaping it, with a deadline, in one ``poll`` loop.

``Popen.communicate(timeout=…)`` waits for the exit by polling ``waitpid``
with sleeps of 0.5 ms, 1 ms, 2 ms…: for a command as short as ``true`` that
doubles the cost of the run. Here the exit is one more readable descriptor
(a Linux pidfd), so the loop wakes the moment the child ends.
"""
from __future__ import annotations

import collections
import contextlib
import os
import selectors
import subprocess
import time

__all__ = ["Collector", "TailBuffer", "MAX_CAPTURE"]

#: Bytes of a command's output kept per stream: its end (a command that floods keeps its last words).
MAX_CAPTURE = 4 * 2**20


class TailBuffer:
    """Chunks of output keeping the newest :data:`MAX_CAPTURE` bytes, and a count of what it let go."""

    def __init__(self, limit: int = MAX_CAPTURE) -> None:
        self.limit = limit
        self.chunks: collections.deque[bytes] = collections.deque()
        self.size = 0
        self.dropped = 0

    def append(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)
        while self.size > self.limit and self.chunks:
            excess = self.size - self.limit
            first = self.chunks[0]
            if len(first) <= excess:
                self.chunks.popleft()
                self.size -= len(first)
                self.dropped += len(first)
            else:
                self.chunks[0] = first[excess:]
                self.size -= excess
                self.dropped += excess

    def value(self) -> bytes:
        return b"".join(self.chunks)


class Collector:
    """The output of ``popen`` (its ``stdout``/``stderr`` pipes, if any) and its exit, read with deadlines.

    :meth:`run` may be called again after a timeout: what was read is kept.
    Call :meth:`close` at the end (it closes the pipes).
    """

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen
        self.out = TailBuffer()
        self.err = TailBuffer()
        self._selector = selectors.PollSelector() if hasattr(selectors, "PollSelector") else selectors.DefaultSelector()
        for stream, chunks in ((popen.stdout, self.out), (popen.stderr, self.err)):
            if stream is not None:
                self._selector.register(stream.fileno(), selectors.EVENT_READ, chunks)
        self._pidfd = -1
        with contextlib.suppress(AttributeError, OSError):  # no pidfd: wait() polls, as communicate does
            self._pidfd = os.pidfd_open(popen.pid)
            self._selector.register(self._pidfd, selectors.EVENT_READ, None)

    def run(self, timeout: float | None) -> bool:
        """Read until both pipes end and the child is reaped; False if ``timeout`` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._selector.get_map():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            for key, _ in self._selector.select(left):
                if key.data is None:  # the pidfd: the child has exited
                    self._selector.unregister(key.fd)
                    continue
                data = os.read(key.fd, 65536)
                if data:
                    key.data.append(data)
                else:
                    self._selector.unregister(key.fd)
        try:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            self.popen.wait(timeout=None if self._pidfd >= 0 else left)
        except subprocess.TimeoutExpired:
            return False
        return True

    def output(self) -> tuple[bytes, bytes]:
        return self.out.value(), self.err.value()

    @property
    def dropped(self) -> int:
        """Bytes of output left out, past the :data:`MAX_CAPTURE` kept per stream."""
        return self.out.dropped + self.err.dropped

    def close(self) -> None:
        """Close the pipes and the pidfd (the child is not touched)."""
        self._selector.close()
        if self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
