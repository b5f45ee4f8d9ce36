"""``model_complete``: one question to the workspace's configured model, for plugins that are not agents.

The archivist's meta-daemon uses it to consolidate memory. Only an explicit
choice counts as configured (``[agents] model``, else ``$KIN_MODEL``): llm's
own default is not, so a project that chose no model sends nothing anywhere.
"""
from __future__ import annotations

import logging
import os
from typing import Any

from shadeos_core.errors import KinError
from shadeos_core.workspace import Workspace

__all__ = ["complete"]

log = logging.getLogger(__name__)


def complete(workspace: Workspace, system: str, prompt: str, purpose: str) -> dict[str, Any] | None:
    from .calls import ModelClient, ModelError, NoKey
    from .config import AgentsConfig
    from .modelchoice import ModelChoice, key_state, resolve_model

    config = AgentsConfig.from_workspace(workspace)
    if config.model:
        choice = ModelChoice(config.model, "kin.toml", workspace.config_where("agents", "model"))
    elif os.environ.get("KIN_MODEL", "").strip():
        choice = ModelChoice(os.environ["KIN_MODEL"].strip(), "KIN_MODEL", "$KIN_MODEL")
    else:
        return None
    model = resolve_model(choice)
    state = key_state(model)
    if not state.present:
        raise KinError(f"no key for {choice.model} — run: {state.how_to_set}")
    defaults = config.defaults
    client = ModelClient(model, timeout=defaults["timeout"], retries=defaults["retries"], backoff=defaults["backoff"],
                         budget=None, key_hint=state.how_to_set or "llm keys set <provider>",
                         estimate=lambda text: len(text) // 4 + 1 if text else 0)
    try:
        reply = client.dialogue(system).say(prompt)
    except NoKey as exc:
        raise KinError(str(exc)) from None
    except ModelError as exc:
        raise KinError(f"model {client.model_id} ({purpose}): {exc}") from None
    log.info("%s: %s answered (%d in, %d out tokens)", purpose, client.model_id, reply.input_tokens,
             reply.output_tokens)
    return {"text": reply.text, "model": client.model_id, "input_tokens": reply.input_tokens,
            "output_tokens": reply.output_tokens}
