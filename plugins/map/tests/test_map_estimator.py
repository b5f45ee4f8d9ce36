"""The estimator's counts: pinned exact results, and the fast bit arithmetic against a byte-by-byte definition."""
from __future__ import annotations

import random

import pytest

from shadeos_map.estimator import WEIGHTS, estimate_tokens, features

# The documented accuracy figures were measured with these exact counts: a faster
# implementation must give the same numbers, not merely similar ones.
PINNED = {
    "The map keeps every document within what a model can read. " * 50: 779,
    "def f(x):\n    return x + 1\n\n\nclass C:\n    value = 'f0_1'  # 42\n\tif a>=b: pass\r\n": 34,
    "Le résumé décrit l'état du projet et ses fichiers trop longs. " * 50: 1266,
    "  12345 abc!!?\n\n\n  \t  ünïcødé 漢字 🙂 x=1;y=22\n": 29,
}


@pytest.mark.parametrize("text", list(PINNED))
def test_pinned_counts(text):
    assert estimate_tokens(text) == PINNED[text]


def _reference_features(text: str) -> dict[str, int]:
    """The definition, one byte at a time: class counts, runs of a class, and line breaks followed by a blank."""
    def cls(b: int) -> str:
        if b >= 0x80:
            return "h"
        ch = chr(b)
        if ch.isalpha():
            return "a"
        if ch.isdigit():
            return "d"
        if ch in " \t":
            return "s"
        if ch in "\n\r":
            return "n"
        return "p" if 33 <= b <= 126 else "c"

    classes = [cls(b) for b in text.encode("utf-8", errors="surrogatepass")]
    runs = {c: sum(1 for i, k in enumerate(classes) if k == c and (i == 0 or classes[i - 1] != c)) for c in "adpn"}
    return {
        "letter_runs": runs["a"], "letters": classes.count("a"),
        "digit_runs": runs["d"], "digits": classes.count("d"),
        "punct_runs": runs["p"], "punct": classes.count("p"),
        "line_runs": runs["n"], "indents": sum(1 for a, b in zip(classes, classes[1:]) if a == "n" and b == "s"),
        "high_bytes": classes.count("h"),
    }


def test_features_match_the_byte_by_byte_definition():
    rnd = random.Random(11)
    alphabet = "aZ09 \t\n\r.,;({}_-'\"\x00\x7féü漢🙂"
    texts = ["", "a", "\n ", " \n", *PINNED]
    texts += ["".join(rnd.choices(alphabet, k=rnd.randint(1, 300))) for _ in range(200)]
    # Longer than the masks kept between calls, and a lone surrogate (encoded as it is, not replaced).
    texts += ["ab 12\n  x" * 150_000, "x\ud800y"]
    for text in texts:
        assert features(text) == _reference_features(text), repr(text[:60])


def test_estimate_is_the_weighted_sum():
    text = "  12345 abc!!?\n\n\n  \t  ünïcødé"
    assert estimate_tokens(text) == round(sum(WEIGHTS[k] * v for k, v in features(text).items()))
