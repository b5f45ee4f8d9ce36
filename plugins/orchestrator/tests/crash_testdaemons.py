"""Daemon types that die saying why, for the crash-reason and dashboard tests (loaded through ``KIN_PLUGINS``)."""
from __future__ import annotations

import importlib
import os
import sys
import threading
from pathlib import Path

from shadeos_core import Daemon, hookimpl


class Unimportable(Daemon):
    """Cannot start: its setup imports a module that is not installed (``module``)."""

    OPTIONS = None

    def setup(self) -> None:
        importlib.import_module(str(self.options.get("module", "kin_no_such_module")))

    def cycle(self, injections):
        return None


class Complainer(Daemon):
    """Runs for ``after`` seconds, then writes ``words`` on stderr and exits 1. With ``once = true`` it does so
    in its first life only (a marker file in the workspace remembers it) and later lives stay up quietly."""

    OPTIONS = None

    def setup(self) -> None:
        marker = Path(self.workspace.root) / f"{self.name}.complained"
        if self.options.get("once") and marker.exists():
            return
        marker.touch()
        timer = threading.Timer(float(self.options.get("after", 0.5)), self._die)
        timer.daemon = True
        timer.start()

    def _die(self) -> None:
        sys.stderr.write(f"{self.options.get('words', 'RuntimeError: the index is corrupt')}\n")
        sys.stderr.flush()
        os._exit(1)

    def cycle(self, injections):
        return None


@hookimpl
def register_daemons(register):
    register("unimportable", Unimportable)
    register("complainer", Complainer)
