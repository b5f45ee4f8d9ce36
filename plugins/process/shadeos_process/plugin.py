"""Hook implementations of the process plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shadeos_core.hookspecs import hookimpl


@hookimpl
def register_execution_modes(register: Callable[[str, type], None]) -> None:
    from .modes import MODES

    for name, cls in MODES.items():
        register(name, cls)
