"""What a tool is to the builtin coder, and what a tool can reach while it runs.

A plugin adds a tool with the ``register_tools`` hook::

    from shadeos_agents import AgentTool, ToolError

    def word_count(ctx, args):
        rel, text = ctx.gate.read(args["path"])
        return f"{rel}: {len(text.split())} words"

    @hookimpl
    def register_tools(register):
        register("word_count", AgentTool(
            "Count the words of a file.",
            {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
            word_count))

A tool returns the text the model reads back. Raise :class:`ToolError` to
tell the model what went wrong (it can correct itself); any other exception
is reported to the model as a failure of the tool and logged.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .daemon import AgentDaemon
    from .gate import WriteGate

__all__ = ["AgentTool", "ToolError", "ToolContext", "validate_arguments"]


class ToolError(Exception):
    """A tool could not do what was asked; the message goes back to the model."""


@dataclass(frozen=True)
class AgentTool:
    """A tool: what it does (for the model), the JSON schema of its arguments, and the function."""

    description: str
    parameters: dict[str, Any]
    function: Callable[[ToolContext, dict[str, Any]], str]


@dataclass
class ToolContext:
    """What a tool can reach: the agent, its write gate, and the cycle's state.

    ``agent`` is the running :class:`~shadeos_agents.daemon.AgentDaemon`
    (``agent.workspace``, ``agent.kernel``, ``agent.send(...)``);
    ``finished`` is set by the ``finish`` tool to end the cycle's work.
    """

    agent: AgentDaemon
    gate: WriteGate
    finished: str | None = None
    notes: list[str] = field(default_factory=list)
    _files: list[str] | None = None

    @property
    def workspace(self) -> Any:
        return self.agent.workspace

    def project_files(self) -> list[str]:
        """The project's files an agent may see (listed once per cycle, plus what it created since)."""
        from .listing import project_files

        if self._files is None:
            listed = project_files(self.workspace.root, git=self.agent.git is not None)
            self._files = [rel for rel in listed if self.gate.policy.readable(rel)]
        created = [rel for rel in self.gate.created if rel not in self._files]
        return sorted([*self._files, *created]) if created else self._files


def validate_arguments(schema: dict[str, Any], args: Any) -> dict[str, Any]:
    """Check a model's arguments against a tool's (flat) JSON schema; :class:`ToolError` says what is wrong."""
    if not isinstance(args, dict):
        raise ToolError("arguments must be a JSON object")
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in args:
            raise ToolError(f"missing argument {name!r}")
    kinds: dict[str, type | tuple[type, ...]] = {"string": str, "integer": int, "number": (int, float),
                                                 "boolean": bool, "object": dict, "array": list}
    for name, value in args.items():
        if name not in properties:
            raise ToolError(f"unknown argument {name!r} (arguments: {', '.join(properties) or 'none'})")
        expected = kinds.get(properties[name].get("type", ""))
        if expected is not None and (not isinstance(value, expected) or
                                     (isinstance(value, bool) and properties[name].get("type") != "boolean")):
            raise ToolError(f"argument {name!r} must be a {properties[name]['type']}")
        allowed = properties[name].get("enum")
        if allowed is not None and value not in allowed:
            raise ToolError(f"argument {name!r} must be one of {', '.join(map(str, allowed))}")
    return args
