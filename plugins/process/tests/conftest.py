"""Fixtures of the process plugin's tests: a reaper that leaves no process behind."""
from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator

import psutil
import pytest


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (a zombie waiting for a reaper counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until(condition: Callable[[], object], timeout: float = 20.0,
               what: str | Callable[[], str] = "condition") -> object:
    """Poll ``condition`` until it is truthy or ``timeout`` passes (then fail naming ``what``, called if callable)."""
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


@pytest.fixture(name="gone")
def gone_fixture() -> Callable[[int], bool]:
    """The :func:`gone` check."""
    return gone


@pytest.fixture(name="wait_until")
def wait_until_fixture() -> Callable[..., object]:
    """The :func:`wait_until` poller."""
    return wait_until


@pytest.fixture
def reaper() -> Iterator[list[int]]:
    """A list the test appends pids to; each one's process group and tree are SIGKILLed at the end."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    child.kill()
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
