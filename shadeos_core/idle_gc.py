"""Collect a daemon's garbage while it has nothing to do, rather than on the way of its next message.

Python's collector runs when enough objects were allocated since the last
collection, wherever that happens: in the middle of handling a message as
often as not. A young collection costs a runner about a tenth of a
millisecond, a middle one about a millisecond (caches cold after an idle
pause), added to whichever message was on its way. A runner that has been idle
for a moment collects the young generations itself (those the collector would
have collected next), so that the next message starts with nothing pending.

The old generation is collected here too once its turn has come, at most
every :data:`FULL_MIN_S` seconds and for at most :data:`FULL_SHARE` of the
time (a daemon with a large heap pays its full collections while idle, never
more often than that). A cycle that allocates a lot still meets the collector
on its way, as before: nothing is turned off.
"""
from __future__ import annotations

import gc
import time

__all__ = ["IdleCollector"]

#: Young objects allocated since the last collection, as a share of the collector's own threshold, past which an
#: idle runner collects (fewer: nothing worth a wake-up).
DUE_SHARE = 8
#: Seconds between two full collections made while idle, at least.
FULL_MIN_S = 60.0
#: The share of time full collections made while idle may take, at most.
FULL_SHARE = 0.01


class IdleCollector:
    """``if collector.due(): collector.collect()``, from a runner with nothing to do."""

    def __init__(self) -> None:
        self.last_full = time.monotonic()
        self.full_took = 0.0

    def due(self) -> bool:
        """Whether enough was allocated since the last collection to collect now (never when the collector is off)."""
        if not gc.isenabled():
            return False
        threshold = gc.get_threshold()[0]
        return threshold > 0 and gc.get_count()[0] >= max(1, threshold // DUE_SHARE)

    def collect(self) -> int:
        """Collect the generation whose turn it is, as the collector would next; returns that generation."""
        _young, middle, old = gc.get_count()
        _t0, middle_at, old_at = gc.get_threshold()
        started = time.monotonic()
        if old >= old_at and started - self.last_full >= max(FULL_MIN_S, self.full_took / FULL_SHARE):
            gc.collect(2)
            self.last_full = time.monotonic()
            self.full_took = self.last_full - started
            return 2
        generation = 1 if middle >= middle_at else 0
        gc.collect(generation)
        return generation
