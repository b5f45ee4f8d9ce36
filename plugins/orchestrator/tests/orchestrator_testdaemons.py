"""Daemon types for the orchestrator's tests, loaded in real processes through ``KIN_PLUGINS``.

Each one misbehaves on demand: sleep, exit at once, crash after a while, go
silent, claim a file, hold a task. They leave marker files in the workspace
so tests can see what happened inside the daemon.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from shadeos_core import CycleResult, Daemon, MetaDaemon, hookimpl


def _mark(daemon: Daemon, what: str, data: Any = None) -> None:
    out = Path(daemon.workspace.root) / "marks"
    out.mkdir(exist_ok=True)
    with open(out / f"{daemon.name}.{what}.{os.getpid()}.{time.time_ns()}", "w") as handle:
        json.dump(data, handle)


class Sleeper(Daemon):
    """Runs one cycle, then waits for messages; its heartbeat keeps its luciorbe fresh."""

    OPTIONS = None

    def cycle(self, injections):
        return CycleResult(task="idling", progress="0/1")


class Quitter(Daemon):
    """Exits as soon as it starts."""

    OPTIONS = None

    def setup(self) -> None:
        os._exit(int(self.options.get("code", 3)))

    def cycle(self, injections):
        return None


class Crasher(Daemon):
    """Runs for ``after`` seconds, then dies with exit code 1."""

    OPTIONS = None

    def setup(self) -> None:
        timer = threading.Timer(float(self.options.get("after", 0.5)), os._exit, (1,))
        timer.daemon = True
        timer.start()

    def cycle(self, injections):
        return None


class Silent(Daemon):
    """Stops refreshing its luciorbe after the first cycle (a hung worker)."""

    OPTIONS = None

    def setup(self) -> None:
        self.luciorbes.beat = lambda: None  # type: ignore[method-assign]

    def cycle(self, injections):
        return CycleResult(task="hung")


class Claimer(Daemon):
    """Works on the file named by ``file`` and records every conflict message it receives."""

    OPTIONS = None

    def setup(self) -> None:
        time.sleep(float(self.options.get("delay", 0)))

    def cycle(self, injections):
        self.luciorbes.open(".", task="editing", current_file=self.options["file"], status="processing")
        for injection in injections:
            message = injection.content
            if getattr(message, "kind", "") == "conflict":
                _mark(self, "conflict", message.body)
        return CycleResult(task="editing")


class Worker(Daemon):
    """Takes tasks; holds them until killed (``complete = true`` completes them at once, ``fail = true`` gives
    them back as failed, ``reject = true`` raises on the message that hands one over)."""

    OPTIONS = None
    accepts_tasks = True

    def cycle(self, injections):
        for injection in injections:
            task = self.task_of(injection.content) if injection.type == "message" else None
            if task is not None:
                _mark(self, "task", task.id)
                if self.options.get("reject"):
                    raise RuntimeError(f"cannot handle task {task.id}")
                if self.options.get("complete"):
                    self.complete_task(task, result="done by " + self.daemon_id)
                elif self.options.get("fail"):
                    self.release_task(task, "the parser does not build", failed=True)
        return None


class Watcher(MetaDaemon):
    """A meta-daemon that just stays up."""

    OPTIONS = None

    def cycle(self, injections):
        return CycleResult(task="watching")


class Stubborn(Daemon):
    """Takes ``hang`` seconds to tear down after a stop signal (a worker that will not let go)."""

    OPTIONS = None

    def cycle(self, injections):
        return None

    def teardown(self) -> None:
        time.sleep(float(self.options.get("hang", 60)))


@hookimpl
def register_daemons(register):
    for name, cls in (("sleeper", Sleeper), ("quitter", Quitter), ("crasher", Crasher), ("silent", Silent),
                      ("claimer", Claimer), ("worker", Worker), ("stubborn", Stubborn)):
        register(name, cls)


@hookimpl
def register_meta_daemons(register):
    register("watcher", Watcher)

