"""A daemon's status, written to its luciorbe on a thread of its own so that no message waits for the disk.

A luciorbe update is a rename over the old file, and a file system may hold
such a rename until the new data is flushed (ext4 does, ``auto_da_alloc``):
milliseconds when the disk is busy. The runner marks each cycle's start and
end; the relay writes the latest fields, merging what piled up meanwhile, while
the runner goes on handling messages. Rewrites come at most every ``interval``
seconds (a daemon busy with messages would otherwise rewrite it twice a message):
the luciorbe shows the latest status within that delay, and the heartbeat keeps
it fresh meanwhile.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

__all__ = ["StatusRelay"]

log = logging.getLogger("kin.runner")


class _Updatable(Protocol):
    def update(self, **fields: Any) -> None: ...


class StatusRelay:
    """``relay.show(status="processing")`` returns at once; the luciorbe is rewritten soon after."""

    def __init__(self, handle: _Updatable, *, interval: float = 0.25, name: str = "kin-status") -> None:
        self.handle = handle
        self.interval = interval
        self._pending: dict[str, Any] = {}  # never replaced: show() adds to it without a lock, the writer drains it
        self._asleep = False  # the writer waits for something to write: show() wakes it
        self._busy = False
        self._stopped = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)
        self._thread.start()

    def show(self, **fields: Any) -> None:
        """Set these luciorbe fields; later values of a field replace earlier ones not yet written."""
        self._pending.update(fields)  # one step under the interpreter lock: no writer sees half of it
        if self._asleep:  # else the writer is on its way (or writing) and will look again: no lock per call
            with self._changed:
                self._changed.notify_all()

    def flush(self, timeout: float | None = 5.0) -> bool:
        """Wait until everything shown so far is written; False after ``timeout``."""
        with self._changed:
            return self._changed.wait_for(lambda: self._stopped or not (self._pending or self._busy), timeout)

    def stop(self, timeout: float = 1.0) -> None:
        """End the thread; what is not written yet is dropped (the luciorbe is about to go)."""
        with self._changed:
            self._stopped = True
            self._pending.clear()
            self._changed.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        written = float("-inf")
        while True:
            with self._changed:
                # asleep before looking: a show() that comes after the look sees it and wakes us
                self._asleep = True
                self._changed.wait_for(lambda: self._stopped or bool(self._pending))
                self._asleep = False
                # what arrives meanwhile is merged into this write
                self._changed.wait_for(lambda: self._stopped, written + self.interval - time.monotonic())
                if self._stopped:
                    return
                self._busy = True
            fields = self._take()
            written = time.monotonic()
            try:
                self.handle.update(**fields)
            except Exception:  # noqa: BLE001 - a status that cannot be written must not end the daemon
                log.warning("cannot update the luciorbe with %s", sorted(fields), exc_info=True)
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()

    def _take(self) -> dict[str, Any]:
        """Everything pending, field by field (each ``popitem`` one step: a field shown meanwhile is either taken
        now or left for the next write, never lost)."""
        fields: dict[str, Any] = {}
        while True:
            try:
                key, value = self._pending.popitem()
            except KeyError:
                return fields
            fields[key] = value  # popped again: shown again meanwhile, the newer value
