"""Which model an agent uses, where that choice comes from, and whether its key is there.

The order: the agent's ``model`` key, ``[agents] model`` in ``kin.toml``,
``$KIN_MODEL``, then ``llm``'s own default model (``llm models default``).
Models and keys are ``llm``'s business: this module only asks ``llm`` and
never reads, prints or stores a key's value.
"""
from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shadeos_core.errors import ConfigError

if TYPE_CHECKING:
    from shadeos_core.workspace import Workspace

    from .config import AgentsConfig

__all__ = ["ModelChoice", "choose_model", "known_models", "resolve_model", "closest_models", "KeyState", "key_state"]


@dataclass(frozen=True)
class ModelChoice:
    """A model id or alias and where it was chosen: ``team file``, ``kin.toml``, ``KIN_MODEL`` or ``llm default``."""

    model: str
    source: str
    where: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "source": self.source}


def choose_model(own: str | None, config: AgentsConfig, workspace: Workspace,
                 environ: Mapping[str, str] | None = None) -> ModelChoice:
    """The model an agent with team file key ``model = own`` uses, and why."""

    env = os.environ if environ is None else environ
    if own:
        return ModelChoice(own, "team file")
    if config.model:
        return ModelChoice(config.model, "kin.toml", workspace.config_where("agents", "model"))
    if env.get("KIN_MODEL", "").strip():
        return ModelChoice(env["KIN_MODEL"].strip(), "KIN_MODEL", "$KIN_MODEL")
    import llm

    return ModelChoice(llm.get_default_model(), "llm default", "llm models default")


_KNOWN: dict[tuple[str, int], dict[str, Any]] = {}


def known_models() -> dict[str, Any]:
    """Every model id and alias ``llm`` knows (with its plugins and ``extra-openai-models.yaml``) -> model.

    Kept per llm configuration (``LLM_USER_PATH``, and the yaml's modification time): asking llm costs a
    plugin load and a yaml parse.
    """
    import llm

    directory = llm.user_dir()
    try:
        stamp = (directory / "extra-openai-models.yaml").stat().st_mtime_ns
    except OSError:
        stamp = 0
    key = (str(directory), stamp)
    if key not in _KNOWN:
        try:
            _KNOWN[key] = dict(llm.get_model_aliases())
        except Exception as exc:  # an llm plugin or a broken extra-openai-models.yaml
            text = " ".join(f"{type(exc).__name__}: {exc}".split())
            raise ConfigError(f"llm could not list its models: {text}", where=str(directory),
                              hint="check llm's plugins (llm plugins) and extra-openai-models.yaml") from None
    return _KNOWN[key]


def closest_models(name: str, known: Mapping[str, Any]) -> list[str]:
    return difflib.get_close_matches(name, list(known), n=3, cutoff=0.4)


def resolve_model(choice: ModelChoice) -> Any:
    """The ``llm`` model of ``choice``; an unknown id is a :class:`ConfigError` naming the closest known ids."""
    known = known_models()
    model = known.get(choice.model)
    if model is None:
        raise ConfigError(f"unknown model {choice.model!r} (chosen by {choice.source})", where=choice.where,
                          hint=unknown_hint(choice.model, known))
    return model


def unknown_hint(name: str, known: Mapping[str, Any]) -> str:
    close = closest_models(name, known)
    base = f"closest: {', '.join(close)}; " if close else ""
    return base + "kin models lists them; an llm plugin or extra-openai-models.yaml adds more"


@dataclass(frozen=True)
class KeyState:
    """Whether a model's key is available: ``needed`` is the key name (``None`` when it takes none)."""

    needed: str | None
    present: bool
    env_var: str | None

    @property
    def how_to_set(self) -> str:
        if self.needed is None:
            return ""
        fix = f"llm keys set {self.needed}"
        return fix + (f" (or set ${self.env_var})" if self.env_var else "")

    def to_json(self) -> dict[str, Any]:
        return {"key_name": self.needed, "key_present": self.present if self.needed else None,
                "key_env_var": self.env_var}


def key_state(model: Any) -> KeyState:
    """Whether ``model`` needs a key and ``llm`` has one (``llm keys``, or the provider's environment variable)."""
    import llm

    needed = getattr(model, "needs_key", None)
    env_var = getattr(model, "key_env_var", None)
    if not needed:
        return KeyState(None, True, None)
    if getattr(model, "key", None):
        return KeyState(needed, True, env_var)
    try:
        present = llm.get_key(alias=needed, env=env_var) is not None
    except (OSError, ValueError):
        present = False
    return KeyState(needed, present, env_var)
