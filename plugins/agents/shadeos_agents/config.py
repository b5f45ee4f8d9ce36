"""Settings of agents: the ``[agents]`` table of ``kin.toml`` and each agent's team file keys.

``kin.toml``::

    [agents]
    model = "gpt-4o-mini"         # default model of every agent (else $KIN_MODEL, else llm's default)
    tokens_per_day = 2000000      # budget of each team's agents together, over any 24 hours
    secrets = ["config/*.ini"]    # more files no agent may read or write (.env*, keys… always)
    test_command = "make test"    # what "{test_command}" in an agent's commands means (default: pytest -q,
                                  # when pytest is installed)
    context_tokens = 16000        # defaults for every agent; a team file key overrides them
    max_steps = 12
    timeout = "2m"
    retries = 3
    backoff = "2s"
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shadeos_core.daemon import OptionError
from shadeos_core.durations import parse_duration
from shadeos_core.errors import ConfigError

if TYPE_CHECKING:
    from shadeos_core.team import DaemonSpec
    from shadeos_core.workspace import Workspace

__all__ = ["AgentsConfig", "AgentSettings", "OPTIONS", "DEFAULTS", "TEST_COMMAND", "default_test_command"]

#: Team file keys of an agent (beyond the keys every daemon has) and their types.
OPTIONS: dict[str, Any] = {
    "role": str, "prompt": str, "model": str, "files": list, "read": list, "commit": bool, "coder": str,
    "tools": list, "commands": list, "command": list, "max_steps": int, "context_tokens": int,
    "tokens_per_hour": int, "tokens_per_day": int, "timeout": "duration", "retries": int, "backoff": "duration",
    "command_timeout": "duration", "lease_wait": "duration",
}
#: Defaults of the keys ``[agents]`` may set for every agent.
DEFAULTS: dict[str, Any] = {"context_tokens": 16000, "max_steps": 12, "timeout": 120.0, "retries": 3,
                            "backoff": 2.0}
_SECTION_KEYS = ("model", "tokens_per_day", "secrets", "test_command", *DEFAULTS)
#: In an agent's ``commands``, stands for the project's test command.
TEST_COMMAND = "{test_command}"
#: Whole-number keys and their ranges.
_LIMITS = {"max_steps": (1, 1000), "context_tokens": (500, 10_000_000), "tokens_per_hour": (1, 10**13),
           "tokens_per_day": (1, 10**13), "retries": (0, 100)}


def default_test_command() -> str:
    """``pytest -q`` when pytest is installed (on PATH), else nothing."""
    import shutil

    return "pytest -q" if shutil.which("pytest") else ""


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class AgentsConfig:
    """The validated ``[agents]`` table."""

    model: str | None = None
    tokens_per_day: int | None = None
    secrets: list[str] = field(default_factory=list)
    test_command: str | None = None
    defaults: dict[str, Any] = field(default_factory=lambda: dict(DEFAULTS))

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> AgentsConfig:
        raw = workspace.section("agents", _SECTION_KEYS)
        config = cls()
        for key, value in raw.items():
            where = workspace.config_where("agents", key)
            if key == "model":
                if not isinstance(value, str) or not value.strip():
                    raise ConfigError(f"[agents] model: expected a model id, got {value!r}", where=where,
                                      hint='e.g. model = "gpt-4o-mini" (see kin models)')
                config.model = value.strip()
            elif key == "test_command":
                if not isinstance(value, str) or not value.strip():
                    raise ConfigError(f"[agents] test_command: expected a command line, got {value!r}", where=where,
                                      hint='e.g. test_command = "pytest -q"')
                config.test_command = value.strip()
            elif key == "secrets":
                if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                    raise ConfigError(f"[agents] secrets: expected a list of globs, got {value!r}", where=where,
                                      hint='e.g. secrets = ["config/*.ini"]')
                config.secrets = list(value)
            elif key in ("timeout", "backoff"):
                config.defaults[key] = parse_duration(value, where=f"{where}: [agents] {key}")
            else:
                low, high = _LIMITS[key]
                if not (_whole(value) and low <= value <= high):
                    raise ConfigError(f"[agents] {key}: expected a whole number from {low} to {high}, got {value!r}",
                                      where=where)
                if key == "tokens_per_day":
                    config.tokens_per_day = value
                else:
                    config.defaults[key] = value
        return config


@dataclass
class AgentSettings:
    """One agent's settings: its team file keys over the ``[agents]`` defaults."""

    role: str
    prompt: str | None
    model: str | None
    files: list[str]
    read: list[str]
    commit: bool | None
    coder: str
    tools: list[str] | None
    commands: list[list[str]]
    command: list[str]
    max_steps: int
    context_tokens: int
    tokens_per_hour: int | None
    tokens_per_day: int | None
    timeout: float
    retries: int
    backoff: float
    command_timeout: float
    lease_wait: float

    @classmethod
    def of(cls, spec: DaemonSpec, config: AgentsConfig, *, builtin_roles: set[str] | None = None) -> AgentSettings:
        """Settings of ``spec``; a bad value raises :class:`OptionError` naming its key."""
        opts = spec.options
        for key, (low, high) in _LIMITS.items():
            if key in opts and not (_whole(opts[key]) and low <= opts[key] <= high):
                raise OptionError(key, f"expected a whole number from {low} to {high}, got {opts[key]!r}")
        for key in ("files", "read"):
            for pattern in opts.get(key, []):
                if not pattern or pattern.startswith("/") or ".." in pattern.split("/"):
                    raise OptionError(key, f"{pattern!r} leads outside the workspace",
                                      hint='use globs relative to the project root, e.g. "src/**"')
        commands = []
        for text in opts.get("commands", []):
            if text.strip() == TEST_COMMAND:
                text = config.test_command or default_test_command()
                if not text:
                    continue  # no test command here: the agent is told it may run none
            try:
                argv = shlex.split(text)
            except ValueError as exc:
                raise OptionError("commands", f"{text!r} is not a command line: {exc}") from None
            if not argv:
                raise OptionError("commands", "an allowed command cannot be empty",
                                  hint='e.g. commands = ["pytest -q"]')
            commands.append(argv)
        role = opts.get("role")
        if role is None:
            role = spec.name if builtin_roles is not None and spec.name in builtin_roles else "agent"
        defaults = config.defaults
        return cls(
            role=role, prompt=opts.get("prompt"), model=opts.get("model"),
            files=list(opts.get("files", [])), read=list(opts.get("read", [])), commit=opts.get("commit"),
            coder=opts.get("coder", "builtin"), tools=opts.get("tools"), commands=commands,
            command=[str(part) for part in opts.get("command", [])],
            max_steps=opts.get("max_steps", defaults["max_steps"]),
            context_tokens=opts.get("context_tokens", defaults["context_tokens"]),
            tokens_per_hour=opts.get("tokens_per_hour"), tokens_per_day=opts.get("tokens_per_day"),
            timeout=float(opts.get("timeout", defaults["timeout"])), retries=opts.get("retries", defaults["retries"]),
            backoff=float(opts.get("backoff", defaults["backoff"])),
            command_timeout=float(opts.get("command_timeout", 300.0)),
            lease_wait=float(opts.get("lease_wait", 30.0)),
        )
