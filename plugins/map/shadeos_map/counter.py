"""Calling ``count_tokens`` through the kernel's hooks, with failures kept apart from counts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .estimator import ESTIMATOR_VERSION

if TYPE_CHECKING:
    from shadeos_core.hooks import Hooks

__all__ = ["TokenCounter", "CountFailed"]

# A fixed text whose count fingerprints the active counter: when a different
# tokenizer answers (tiktoken installed, a plugin added), cached counts are dropped.
_PROBE = ("The map keeps documents within what a model can read. def count(x): return len(x) + 42\n"
          "    Le résumé décrit l'état du projet, ses phases et ses fichiers trop longs.\n")


class CountFailed(Exception):
    """A counter raised or answered something that is not a token count."""


@dataclass
class TokenCounter:
    """``count(text, path)`` through the ``count_tokens`` hook (``TokenCounter(kernel.hooks)``)."""

    hooks: Hooks

    def count(self, text: str, path: str) -> int:
        """Tokens in ``text``; raises :class:`CountFailed` (never returns 0 for a failure)."""
        try:
            result = self.hooks.call("count_tokens", text=text, path=path)
        except Exception as exc:
            raise CountFailed(f"{type(exc).__name__}: {exc}") from exc
        if isinstance(result, bool) or not isinstance(result, int) or result < 0:
            raise CountFailed(f"no token counter answered with a count (got {result!r})")
        return result

    def identity(self) -> str:
        """Which counters are installed and what they answer for a fixed text."""
        impls = ",".join(self.hooks.implementers("count_tokens"))
        try:
            probe: object = self.count(_PROBE, "")
        except CountFailed as exc:
            probe = f"failed: {exc}"
        return f"{impls}|{probe}|estimator-v{ESTIMATOR_VERSION}"
