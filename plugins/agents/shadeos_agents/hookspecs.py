"""Hooks the agents plugin declares for other plugins (project ``shadeos``): coders and tools.

Both are ``register`` hooks like the kernel's: ``register(name, value)``; the
plugin records which plugin registered each name, and a name registered twice
is refused with both plugins named.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shadeos_core.hookspecs import hookspec

__all__ = ["register_coders", "register_tools"]


@hookspec
def register_coders(register: Callable[[str, type], None]) -> None:
    """Add ways of carrying out a task: ``register(name, cls)``, ``cls`` a subclass of
    :class:`shadeos_agents.Coder`, usable as ``coder = "name"`` in a team file."""


@hookspec
def register_tools(register: Callable[[str, Any], None]) -> None:
    """Add tools the builtin coder offers a model: ``register(name, tool)``, ``tool`` a
    :class:`shadeos_agents.AgentTool` (description, JSON schema of its arguments, function)."""
