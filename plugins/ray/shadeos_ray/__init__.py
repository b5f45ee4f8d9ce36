"""kin plugin: the ``ray`` execution mode, which runs a daemon or a command on a Ray cluster.

Ray is imported only by the processes that talk to the cluster (the proxy of
each remote run, :func:`run_batch`); ``kin --help`` loads :mod:`shadeos_ray.plugin` alone.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["RayMode", "RaySettings", "run_batch"]

_WHERE = {"RayMode": "mode", "RaySettings": "settings", "run_batch": "batch"}

if TYPE_CHECKING:
    from .batch import run_batch
    from .mode import RayMode
    from .settings import RaySettings


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'shadeos_ray' has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
