"""Helpers for testing kin and kin plugins against real processes (used by kin's own test suites)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

__all__ = ["wait_for", "kill_group"]


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str | Callable[[], str] = "condition", *,
             interval: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something true and return that; fail after ``timeout`` seconds.

    Tests wait for what they expect to happen instead of sleeping a fixed time,
    and never assert on how long it took. ``what`` names the condition in the
    failure; a callable is asked at that moment (to describe the final state).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout}s waiting for {described} (last seen: {value!r})")
        time.sleep(interval)


def kill_group(proc: subprocess.Popen[Any], *, timeout: float = 10.0) -> None:
    """SIGKILL the process group of ``proc`` (started with ``start_new_session=True``) and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=timeout)
