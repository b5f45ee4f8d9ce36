"""Collecting what plugins register through ``register_coders`` and ``register_tools``.

Like the kernel's registries: each plugin's registrations are staged and
kept all-or-nothing; a bad value or a name another plugin took is reported
in one line naming both plugins, and that plugin's registrations are skipped.
The agents plugin registers first, whatever the load order, so its builtin
names can never be taken by another plugin.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .coders import Coder
from .tools import AgentTool

if TYPE_CHECKING:
    from shadeos_core.hooks import Hooks

__all__ = ["Registrations", "collect_coders", "collect_tools"]


@dataclass
class Registrations:
    """``name -> value`` with the plugin each came from, and one line per plugin whose registrations failed."""

    values: dict[str, Any] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _collect(hooks: Hooks, hook: str, kind: str, check: Callable[[Any], str | None]) -> Registrations:
    found = Registrations()
    # the agents plugin's own registrations first, then the others in load order: a plugin never takes a builtin name
    plugins = sorted(hooks.implementers(hook), key=lambda plugin: plugin != "agents")
    for plugin in plugins:
        staged: dict[str, Any] = {}

        def register(name: str, value: Any, _staged: dict[str, Any] = staged, _plugin: str = plugin) -> None:
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"{kind} name {name!r} must be an identifier")
            problem = check(value)
            if problem:
                raise ValueError(f"{kind} {name!r}: {problem}")
            if name in found.values or name in _staged:
                owner = found.owners.get(name, _plugin)
                raise ValueError(f"{kind} {name!r} is already registered by {owner!r}")
            _staged[name] = value

        try:
            hooks.call_plugin(hook, plugin, register=register)
        except Exception as exc:
            found.problems.append(f"plugin {plugin!r}: its {kind}s were not added: {exc}")
            continue
        for name, value in staged.items():
            found.values[name] = value
            found.owners[name] = plugin
    return found


def _coder_problem(value: Any) -> str | None:
    if isinstance(value, type) and issubclass(value, Coder):
        return None
    return f"must be a subclass of shadeos_agents.Coder, got {value!r}"


def _tool_problem(value: Any) -> str | None:
    if not isinstance(value, AgentTool):
        return f"must be a shadeos_agents.AgentTool, got {value!r}"
    if not callable(value.function) or not isinstance(value.parameters, dict):
        return "needs a callable function and a JSON schema dict of parameters"
    return None


def collect_coders(hooks: Hooks) -> Registrations:
    """Every coder registered through ``register_coders`` (``collect_coders(kernel.hooks)``)."""
    return _collect(hooks, "register_coders", "coder", _coder_problem)


def collect_tools(hooks: Hooks) -> Registrations:
    """Every tool registered through ``register_tools`` (``collect_tools(kernel.hooks)``)."""
    return _collect(hooks, "register_tools", "tool", _tool_problem)
