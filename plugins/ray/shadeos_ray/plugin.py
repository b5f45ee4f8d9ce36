"""Hook implementations of the ray plugin (light: Ray itself is imported only where a run needs it)."""
from __future__ import annotations

from collections.abc import Callable

from shadeos_core.hookspecs import hookimpl


@hookimpl
def register_execution_modes(register: Callable[[str, type], None]) -> None:
    from .mode import RayMode

    register("ray", RayMode)
