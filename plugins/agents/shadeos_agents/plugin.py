"""Hook implementations of the agents plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shadeos_core.hookspecs import hookimpl


@hookimpl
def add_hookspecs(pluginmanager: Any) -> None:
    """Declare ``register_coders`` and ``register_tools`` for plugins that extend agents."""
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def agent_prompt(workspace: Any, role: str, prompt: str | None) -> dict[str, Any]:
    from .prompting import prompt_source

    return prompt_source(workspace.root, role, prompt)


@hookimpl
def model_complete(workspace: Any, system: str, prompt: str, purpose: str) -> dict[str, Any] | None:
    from .completion import complete

    return complete(workspace, system, prompt, purpose)


@hookimpl
def register_daemons(register: Callable[[str, type], None]) -> None:
    from .daemon import AgentDaemon

    register("agent", AgentDaemon)


@hookimpl
def register_teams(register: Callable[[Any], None]) -> None:
    """The predefined teams: coding, literature-review, book-writing and general."""
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parent / "teams").glob("*.toml")):
        register(path)


@hookimpl
def register_coders(register: Callable[[str, type], None]) -> None:
    from .builtin_coder import BuiltinCoder
    from .external_coders import AiderCoder, CommandCoder

    register("builtin", BuiltinCoder)
    register("aider", AiderCoder)
    register("command", CommandCoder)


@hookimpl
def register_tools(register: Callable[[str, Any], None]) -> None:
    from .builtin_tools import BUILTIN_TOOLS

    for name, tool in BUILTIN_TOOLS.items():
        register(name, tool)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import agents, models

    cli.add_command(agents)
    cli.add_command(models)
