"""The supervisor's clock: where it reads the time and how it waits for the next cycle.

The supervisor never calls :mod:`time` itself; a test gives it a clock it moves by hand.
"""
from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (deadlines, ages, backoff)."""

    def time(self) -> float:
        """Seconds since the epoch (what is published: start times, heartbeat ages)."""

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Wait until ``event`` is set or ``timeout`` seconds passed; whether it was set."""


class SystemClock:
    """The machine's clocks, and a real wait."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def wait(self, event: threading.Event, timeout: float) -> bool:
        return event.wait(timeout)
