"""kin plugin: LLM agents that do the work.

An agent is a daemon of type ``agent``: each cycle it takes a task (from the
queue, or one its model chooses for its role), assembles a context within a
token budget, lets a coder carry the task out on the project's files through
one guarded write gate, commits what it changed and records the cycle.
Models come through the ``llm`` library. Public names import lazily.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["AgentDaemon", "AgentTool", "ToolError", "ToolContext", "Coder", "CoderResult", "Job", "WriteGate",
           "PathPolicy", "Refused"]

_WHERE = {"AgentDaemon": "daemon", "AgentTool": "tools", "ToolError": "tools", "ToolContext": "tools",
          "Coder": "coders", "CoderResult": "coders", "Job": "coders", "WriteGate": "gate", "PathPolicy": "policy",
          "Refused": "policy"}

if TYPE_CHECKING:
    from .coders import Coder, CoderResult, Job
    from .daemon import AgentDaemon
    from .gate import WriteGate
    from .policy import PathPolicy, Refused
    from .tools import AgentTool, ToolContext, ToolError


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'shadeos_agents' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
