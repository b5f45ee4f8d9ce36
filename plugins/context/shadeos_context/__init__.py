"""kin plugin: the mid-term context: fast shared working memory with TTLs, persisted into the archive.

``MidTermContext.open(workspace)`` is the API; ``kin context`` the command line;
``[meta.context]`` the meta-daemon that expires entries and persists them.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["MidTermContext", "ContextEntry", "ContextSettings", "DEFAULT_TTLS", "TRIGGERS", "copy_json"]

_WHERE = {"MidTermContext": "context", "ContextEntry": "store", "ContextSettings": "settings",
          "DEFAULT_TTLS": "settings", "TRIGGERS": "settings", "copy_json": "readonly"}

if TYPE_CHECKING:
    from .context import MidTermContext
    from .readonly import copy_json
    from .settings import DEFAULT_TTLS, TRIGGERS, ContextSettings
    from .store import ContextEntry


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'shadeos_context' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
