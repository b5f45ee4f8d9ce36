"""An offline token estimator: no network, no model files, a handful of byte counts.

It approximates a byte-pair-encoding tokenizer of the GPT-4 / Claude family by
counting what such tokenizers split on: runs of letters and how long they are,
digit runs, punctuation, line breaks and indentation, and non-ASCII bytes.
Each byte is first mapped to its class with one ``bytes.translate``; a run of
a class is then found with ``bytes.count`` of "other class, this class" pairs,
which keeps it near memory speed. The weights were fitted on real prose, code
and French text; ``docs/plugins/map.md`` gives the measured error.
"""
from __future__ import annotations

__all__ = ["estimate_tokens", "features", "ESTIMATOR_VERSION", "WEIGHTS"]

#: Bumped whenever the formula changes, so cached counts are recomputed.
ESTIMATOR_VERSION = 2


def _classes() -> bytes:
    table = bytearray(b"c" * 256)
    for b in range(256):
        ch = chr(b)
        if b >= 0x80:
            table[b] = ord("h")
        elif ch.isascii() and ch.isalpha():
            table[b] = ord("a")
        elif ch.isdigit():
            table[b] = ord("d")
        elif ch in " \t":
            table[b] = ord("s")
        elif ch in "\n\r":
            table[b] = ord("n")
        elif 33 <= b <= 126:
            table[b] = ord("p")
    return bytes(table)


_TABLE = _classes()
_OTHERS = {c: [bytes([o, ord(c)]) for o in b"adpsnhc" if o != ord(c)] for c in "adpn"}

#: Fitted weights of each feature (see :func:`features`); negative ones correct for merges
#: (a line break and the indentation after it are often one token).
WEIGHTS = {"letter_runs": 1.3822, "letters": -0.0108, "digit_runs": 0.1635, "digits": 0.6312, "punct_runs": 0.7276,
           "punct": 0.1597, "line_runs": 0.7758, "indents": -0.5735, "high_bytes": 0.5841}


def _runs(classes: bytes, c: str) -> int:
    first = 1 if classes[:1] == c.encode() else 0
    return first + sum(classes.count(pair) for pair in _OTHERS[c])


def features(text: str) -> dict[str, int]:
    """The counts the estimate is a weighted sum of."""
    classes = text.encode("utf-8", errors="surrogatepass").translate(_TABLE)
    return {
        "letter_runs": _runs(classes, "a"), "letters": classes.count(b"a"),
        "digit_runs": _runs(classes, "d"), "digits": classes.count(b"d"),
        "punct_runs": _runs(classes, "p"), "punct": classes.count(b"p"),
        "line_runs": _runs(classes, "n"), "indents": classes.count(b"ns"),
        "high_bytes": classes.count(b"h"),
    }


def estimate_tokens(text: str) -> int:
    """Estimated token count of ``text`` (0 only for empty text)."""
    if not text:
        return 0
    estimate = sum(WEIGHTS[name] * value for name, value in features(text).items())
    return max(1, round(estimate))
