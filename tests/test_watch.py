"""The debounced watcher on real files and real inotify: what counts as a change, and when a burst is delivered."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from helpers import wait_for

from shadeos_core.fsio import atomic_write_json, atomic_write_text
from shadeos_core.watch import DebouncedWatcher


class Calls:
    def __init__(self) -> None:
        self.batches: list[set[str]] = []
        self.lock = threading.Lock()

    def __call__(self, paths: set[str]) -> None:
        with self.lock:
            self.batches.append(set(paths))

    def seen(self) -> set[str]:
        with self.lock:
            return set().union(*self.batches) if self.batches else set()


@pytest.fixture
def watched(tmp_path: Path):
    started: list[DebouncedWatcher] = []

    def start(**options) -> tuple[DebouncedWatcher, Calls]:
        calls = Calls()
        watcher = DebouncedWatcher(tmp_path, [], calls, **options)
        watcher.start()
        started.append(watcher)
        return watcher, calls

    yield start
    for watcher in started:
        watcher.stop()


def keep_writing(stop: threading.Event, write) -> threading.Thread:
    def run() -> None:
        i = 0
        while not stop.wait(0.02):
            write(i)
            i += 1

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_burst_that_never_goes_quiet_is_still_delivered(tmp_path, watched):
    """A file rewritten every 20 ms never leaves the 0.3 s quiet time a debounce waits for: the burst is
    delivered anyway, while the writer is still writing, and again and again after that."""
    _, calls = watched(debounce=0.3, max_wait=1.0)
    stop = threading.Event()
    writer = keep_writing(stop, lambda i: (tmp_path / "busy.txt").write_text(str(i)))
    try:
        wait_for(lambda: len(calls.batches) >= 2, 30, "two deliveries while the file keeps changing")
        assert not stop.is_set() and writer.is_alive()
        assert all(batch == {"busy.txt"} for batch in calls.batches)
    finally:
        stop.set()
        writer.join()


def test_atomic_write_temporaries_are_not_changes(tmp_path, watched):
    """kin's own atomic writes (every heartbeat rewrites a luciorbe that way) used to keep a burst going forever
    through their temporary files: a project file changed meanwhile was never delivered. Now the temporaries are
    nothing, luciorbes are nothing, and the target of an atomic save counts as changed."""
    _, calls = watched(debounce=0.3, max_wait=60)
    stop = threading.Event()
    beats = keep_writing(stop, lambda i: atomic_write_json(tmp_path / ".luciorbe.team.d", {"beat": i}))
    try:
        atomic_write_text(tmp_path / "notes.md", "saved atomically\n")
        wait_for(lambda: "notes.md" in calls.seen(), 30, "the atomic save delivered while the heartbeats go on")
        assert calls.seen() == {"notes.md"}, calls.batches
    finally:
        stop.set()
        beats.join()
