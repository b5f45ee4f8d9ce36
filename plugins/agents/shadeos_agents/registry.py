"""Collecting what plugins register through ``register_coders`` and ``register_tools``.

Like the kernel's registries: each plugin's registrations are staged and
kept all-or-nothing; a bad value or a name another plugin took is reported
in one line naming both plugins, and that plugin's registrations are skipped.
The agents plugin registers first, whatever the load order, so its builtin
names can never be taken by another plugin.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .coders import Coder
from .tools import AgentTool

__all__ = ["Registrations", "collect_coders", "collect_tools"]


@dataclass
class Registrations:
    """``name -> value`` with the plugin each came from, and one line per plugin whose registrations failed."""

    values: dict[str, Any] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _collect(pm: Any, hook: str, kind: str, check: Any) -> Registrations:
    found = Registrations()
    caller = getattr(pm.hook, hook, None)
    if caller is None:
        return found
    # the agents plugin's own registrations first, then the others in load order: a plugin never takes a builtin name
    impls = sorted(caller.get_hookimpls(), key=lambda impl: impl.plugin_name != "agents")
    for impl in impls:
        staged: dict[str, Any] = {}

        def register(name: str, value: Any, _staged: dict[str, Any] = staged, _plugin: str = impl.plugin_name) -> None:
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
            impl.function(register=register)
        except Exception as exc:
            found.problems.append(f"plugin {impl.plugin_name!r}: its {kind}s were not added: {exc}")
            continue
        for name, value in staged.items():
            found.values[name] = value
            found.owners[name] = impl.plugin_name
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


def collect_coders(pm: Any) -> Registrations:
    return _collect(pm, "register_coders", "coder", _coder_problem)


def collect_tools(pm: Any) -> Registrations:
    return _collect(pm, "register_tools", "tool", _tool_problem)
