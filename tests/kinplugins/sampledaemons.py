"""Daemon types used by the core's tests (loaded with KIN_PLUGINS=sampledaemons)."""
from __future__ import annotations

import json
import os
import sys
import time

from shadeos_core import CycleResult, Daemon, MetaDaemon, hookimpl


def poison(body, crash_on):
    """Messages that make their handling fail, in every way a handler can."""
    if body == crash_on:
        raise RuntimeError("asked to crash")
    if body == "exit":
        sys.exit(3)
    if body == "interrupt":
        raise KeyboardInterrupt
    if body == "recurse":
        def down(n):
            return down(n + 1) + 1
        down(0)
    if body == "vanish":
        os._exit(9)


class Recorder(Daemon):
    """Appends one JSON line per cycle to ``record`` (relative to the workspace): what it was injected."""

    OPTIONS = {"record": str, "crash_on": str, "slow_cycle": (int, float), "again_in": (int, float), "finishing": bool}

    @classmethod
    def check_options(cls, spec, kernel):
        from shadeos_core import OptionError

        if spec.options.get("crash_on") == "":
            raise OptionError("crash_on", "cannot be empty", hint="name the message that makes it crash")

    def setup(self) -> None:
        self.out = self.workspace.inside(self.options.get("record", f"{self.name}.jsonl"))

    def cycle(self, injections):
        entry = {"pid": os.getpid(), "cycle": self.cycles + 1, "injections": []}
        for inj in injections:
            content = inj.content.body if inj.type == "message" else inj.content
            entry["injections"].append({"scope": inj.scope, "type": inj.type, "content": content})
            if inj.type == "message":
                poison(content, self.options.get("crash_on"))
            if inj.type == "files" and any(path.endswith("crash_now.py") for path in content):
                raise RuntimeError("asked to crash by a file")
        if self.options.get("finishing"):
            self.finishing()  # what follows is bookkeeping: a stop waits for it
        with open(self.out, "a") as handle:
            handle.write(json.dumps(entry) + "\n")
        if self.options.get("slow_cycle"):
            time.sleep(float(self.options["slow_cycle"]))
            with open(self.out, "a") as handle:
                handle.write(json.dumps({"finished": entry["cycle"]}) + "\n")
        return CycleResult(task="recording", progress=str(self.cycles + 1), next_in=self.options.get("again_in"))

    def teardown(self) -> None:
        with open(self.out, "a") as handle:
            handle.write(json.dumps({"teardown": True, "pid": os.getpid()}) + "\n")


class Worker(Daemon):
    """Holds a task luciorbe in ``dir`` while it runs."""

    OPTIONS = {"dir": str}

    def setup(self) -> None:
        self.task_ctx = self.luciorbe(self.options.get("dir", "."), task="long work")
        self.handle = self.task_ctx.__enter__()

    def cycle(self, injections):
        self.handle.update(progress=f"{self.cycles + 1}/100")
        return None


class Garbage(Daemon):
    """Leaves ``per_cycle`` objects in reference cycles behind each cycle (fewer than the collector's threshold)
    and writes to ``record`` one line per collection: its generation and whether a cycle was running."""

    OPTIONS = {"record": str, "per_cycle": int}

    def setup(self) -> None:
        import gc

        self.out = open(self.workspace.inside(self.options.get("record", "gc.jsonl")), "a", buffering=1)
        self.in_cycle = False
        gc.callbacks.append(self._seen)

    def _seen(self, phase, info):
        if phase == "start":
            self.out.write(json.dumps({"generation": info["generation"], "in_cycle": self.in_cycle}) + "\n")

    def cycle(self, injections):
        self.in_cycle = True
        try:
            for _ in range(int(self.options.get("per_cycle", 200)) // 2):
                a, b = [], []
                a.append(b)
                b.append(a)
            self.out.write(json.dumps({"cycle": self.cycles + 1}) + "\n")
        finally:
            self.in_cycle = False


class Idle(MetaDaemon):
    def cycle(self, injections):
        return None


@hookimpl
def register_daemons(register):
    register("recorder", Recorder)
    register("worker", Worker)
    register("garbage", Garbage)


@hookimpl
def register_meta_daemons(register):
    register("idle", Idle)
