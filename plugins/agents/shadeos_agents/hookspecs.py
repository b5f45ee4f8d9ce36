"""Hooks the agents plugin declares for other plugins (project ``shadeos``): coders and tools.

Both are ``register`` hooks like the kernel's: ``register(name, value)``; the
plugin records which plugin registered each name, and a name registered twice
is refused with both plugins named.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shadeos_core.hookspecs import hookspec

if TYPE_CHECKING:
    from shadeos_core.workspace import Workspace

__all__ = ["register_coders", "register_tools", "model_complete"]


@hookspec
def register_coders(register: Callable[[str, type], None]) -> None:
    """Add ways of carrying out a task: ``register(name, cls)``, ``cls`` a subclass of
    :class:`shadeos_agents.Coder`, usable as ``coder = "name"`` in a team file."""


@hookspec
def register_tools(register: Callable[[str, Any], None]) -> None:
    """Add tools the builtin coder offers a model: ``register(name, tool)``, ``tool`` a
    :class:`shadeos_agents.AgentTool` (description, JSON schema of its arguments, function)."""


@hookspec(firstresult=True)
def model_complete(workspace: Workspace, system: str, prompt: str, purpose: str) -> dict[str, Any] | None:
    """Ask the model configured for ``workspace`` (``[agents] model``, else ``$KIN_MODEL``) one question.

    Returns ``{"text", "model", "input_tokens", "output_tokens"}``, or ``None`` when no model is configured
    (the caller then does without). Raises ``KinError`` (one line) when the model cannot answer: no key,
    provider down after retries. ``purpose`` names the caller in logs (e.g. ``"archivist consolidation"``).
    """


@hookspec(firstresult=True)
def agent_prompt(workspace: Workspace, role: str, prompt: str | None) -> dict[str, Any]:
    """Where the role prompt of an agent with ``role`` (and the team file's ``prompt`` key, if any) comes from,
    first found first: ``{"source": "team file" | "project override" | "builtin" | "none", "file": the project
    file a changed prompt belongs in (relative to the root), "text": its template text (``None`` when there is
    none)}``."""
