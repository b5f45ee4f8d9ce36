"""An offline token estimator: no network, no model files, a few regular expressions.

It approximates a byte-pair-encoding tokenizer of the GPT-4 / Claude family by
counting what such tokenizers split on: runs of letters (long words cost
extra pieces), digit groups, punctuation, runs of indentation and non-ASCII
characters. Its coefficients were fitted on real prose, code and French text;
``docs/plugins/map.md`` gives its measured error.
"""
from __future__ import annotations

import re

__all__ = ["estimate_tokens", "ESTIMATOR_VERSION"]

#: Bumped whenever the formula changes, so cached counts are recomputed.
ESTIMATOR_VERSION = 1

_WORD = re.compile(r"[A-Za-z]+")
_LONG_TAIL = re.compile(r"(?<=[A-Za-z]{6})[A-Za-z]+")
_DIGITS = re.compile(r"[0-9]{1,3}")
_PUNCT = re.compile(r"[!-/:-@\[-`{-~]+")
_INDENT = re.compile(r"\n[ \t]+")
_NEWLINES = re.compile(r"\n+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")

# Fitted weights (see the module docstring).
W_WORD = 1.268
W_TAIL = 0.107
W_DIGITS = 1.504
W_PUNCT_RUN = 0.852
W_PUNCT_EXTRA = 0.086
W_INDENT = -0.229  # a newline followed by indentation often merges into one token with it
W_NEWLINES = 0.53
W_NON_ASCII = 1.709


def estimate_tokens(text: str) -> int:
    """Estimated token count of ``text`` (0 only for empty text)."""
    if not text:
        return 0
    words = len(_WORD.findall(text))
    tail = sum(map(len, _LONG_TAIL.findall(text)))
    digits = len(_DIGITS.findall(text))
    punct_runs = _PUNCT.findall(text)
    punct_extra = sum(map(len, punct_runs)) - len(punct_runs)
    estimate = (W_WORD * words + W_TAIL * tail + W_DIGITS * digits + W_PUNCT_RUN * len(punct_runs)
                + W_PUNCT_EXTRA * punct_extra + W_INDENT * len(_INDENT.findall(text))
                + W_NEWLINES * len(_NEWLINES.findall(text)))
    if not text.isascii():
        estimate += W_NON_ASCII * len(_NON_ASCII.findall(text))
    return max(1, round(estimate))
