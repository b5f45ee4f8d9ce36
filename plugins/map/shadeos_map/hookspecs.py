"""The map plugin's own hook: ``count_tokens(text, path)``, declared through the core's ``add_hookspecs``.

Another plugin can bring a better tokenizer by implementing it (without
``trylast``); the first implementation that returns an ``int`` wins, and the
map plugin's offline estimator answers last.
"""
from __future__ import annotations

import pluggy

from shadeos_core.hookspecs import PROJECT

__all__ = ["count_tokens", "hookspec"]

hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec(firstresult=True)
def count_tokens(text: str, path: str) -> int | None:
    """How many tokens ``text`` (the content of ``path``, workspace-relative POSIX) costs a model.

    Return ``None`` to let the next implementation answer. Raise to report a
    failure: the map marks the file instead of counting it as 0 tokens.
    """
