"""kin plugin: ``kin web``, the local web dashboard.

The team live in a browser (daemons, phase, events, with stop/restart controls), the agents and their
histories, the mission, the map, the task queue, memory, actions, luciorbes and logs. It reads state only
through what the other plugins publish (their files, their hooks) and says which plugin to install when one
is absent. It binds 127.0.0.1 and admits only requests carrying the token it prints at start.
"""
from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'shadeos_web' has no attribute {name!r}")
