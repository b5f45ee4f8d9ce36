"""kin plugin: durable memory in strata, Whoosh-indexed, with typed links and kin memory.

``Archivist.open(workspace)`` is the Python API; it is imported lazily so that
loading the plugin stays cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Archivist", "ArchivistDaemon", "WhooshBackend", "SqliteBackend"]

_WHERE = {"Archivist": "archivist", "ArchivistDaemon": "daemon", "WhooshBackend": "whoosh_backend",
          "SqliteBackend": "sqlite_backend"}

if TYPE_CHECKING:
    from .archivist import Archivist
    from .daemon import ArchivistDaemon
    from .sqlite_backend import SqliteBackend
    from .whoosh_backend import WhooshBackend


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'shadeos_archivist' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
