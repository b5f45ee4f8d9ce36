"""A plugin for the luciorbe tests, loaded in real daemon processes through ``KIN_PLUGINS=luciorbe_testdaemons``.

- daemon type ``luciorbe-worker``: keeps luciorbes in the directories listed in its ``dirs`` option, and
  runs each cycle as a task in its own workdir (sharing the luciorbe the runner keeps there);
- janitor ``probe``: appends one JSON line per ``clean`` call to ``.kin/state/probe.jsonl``;
- janitor ``broken-probe``: always raises, to show one broken janitor does not stop the others.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from shadeos_core import CycleResult, Daemon, Janitor, hookimpl
from shadeos_core.fsio import locked_append


class LuciorbeWorker(Daemon):
    OPTIONS = {"dirs": list}

    def setup(self) -> None:
        for directory in self.options.get("dirs", []):
            self.luciorbes.open(directory, task=f"working in {directory}", status="processing")

    def cycle(self, injections: Sequence[Any]) -> CycleResult:
        with self.luciorbe(".", task="tick") as luc:
            luc.update(progress=str(self.cycles + 1))
        return CycleResult(status="idle")


class ProbeJanitor(Janitor):
    def scan(self) -> list[Any]:
        return []

    def clean(self, *, dry_run: bool = False, hard: bool = False) -> list[Any]:
        line = json.dumps({"full": self.options.get("full"), "hard": hard}) + "\n"
        locked_append(self.workspace.state_dir("state") / "probe.jsonl", line.encode())
        return []


class BrokenJanitor(Janitor):
    def scan(self) -> list[Any]:
        raise RuntimeError("this janitor is broken on purpose")

    def clean(self, *, dry_run: bool = False, hard: bool = False) -> list[Any]:
        raise RuntimeError("this janitor is broken on purpose")


@hookimpl
def register_daemons(register: Callable[[str, type], None]) -> None:
    register("luciorbe-worker", LuciorbeWorker)


@hookimpl
def register_janitors(register: Callable[[str, type], None]) -> None:
    register("probe", ProbeJanitor)
    register("broken-probe", BrokenJanitor)
