"""An offline token estimator: no network, no model files, a handful of byte counts.

It approximates a byte-pair-encoding tokenizer of the GPT-4 / Claude family by
counting what such tokenizers split on: runs of letters and how long they are,
digit runs, punctuation, line breaks and indentation, and non-ASCII bytes.
The weights were fitted on real prose, code and French text;
``docs/plugins/map.md`` gives the measured error.

Every byte is mapped by one ``bytes.translate`` to a byte with one bit set,
the bit of its class, and the result is read as one big integer. A class is
then counted by masking its bit in every byte and taking ``int.bit_count``;
the start of a run is a byte whose class bit is not set in the byte before
(``m & ~(m << 8)``). Big-integer operations run over 30-bit digits in C, so
the whole count is a few linear passes with no per-byte Python loop.
"""
from __future__ import annotations

__all__ = ["estimate_tokens", "features", "ESTIMATOR_VERSION", "WEIGHTS"]

#: Bumped whenever the formula changes, so cached counts are recomputed.
ESTIMATOR_VERSION = 2


#: The bit of each class in the one-hot bytes (letters, digits, punctuation, space/tab, line break, non-ASCII).
_LETTER, _DIGIT, _PUNCT, _SPACE, _LINE, _HIGH, _OTHER = (1 << bit for bit in range(7))


def _one_hot() -> bytes:
    """``bytes.translate`` table: each byte value to the one-hot byte of its class."""
    table = bytearray([_OTHER] * 256)
    for b in range(256):
        ch = chr(b)
        if b >= 0x80:
            table[b] = _HIGH
        elif ch.isascii() and ch.isalpha():
            table[b] = _LETTER
        elif ch.isdigit():
            table[b] = _DIGIT
        elif ch in " \t":
            table[b] = _SPACE
        elif ch in "\n\r":
            table[b] = _LINE
        elif 33 <= b <= 126:
            table[b] = _PUNCT
    return bytes(table)


_ONE_HOT = _one_hot()
_CLASSES = (_LETTER, _DIGIT, _PUNCT, _SPACE, _LINE, _HIGH)
#: Masks are kept for texts up to this many bytes (6 integers of that size); longer texts build their own.
_KEEP_MASKS_UP_TO = 1 << 20
#: ``(bytes covered, masks)``, replaced whole so that concurrent callers never see a mismatched pair.
_kept: tuple[int, tuple[int, ...]] = (0, ())


def _class_masks(size: int) -> tuple[int, ...]:
    """One integer per class with that class's bit set in each of at least ``size`` bytes.

    ``x & mask`` only walks the shorter operand, so masks built for the longest
    text seen so far serve every shorter one.
    """
    global _kept
    covered, kept = _kept
    if size <= covered:
        return kept
    built_for = max(4096, 1 << (size - 1).bit_length())
    masks = tuple(int.from_bytes(bytes([bit]) * built_for, "little") for bit in _CLASSES)
    if built_for <= _KEEP_MASKS_UP_TO:
        _kept = (built_for, masks)
    return masks


#: Fitted weights of each feature (see :func:`features`); negative ones correct for merges
#: (a line break and the indentation after it are often one token).
WEIGHTS = {"letter_runs": 1.3822, "letters": -0.0108, "digit_runs": 0.1635, "digits": 0.6312, "punct_runs": 0.7276,
           "punct": 0.1597, "line_runs": 0.7758, "indents": -0.5735, "high_bytes": 0.5841}


_NAMES = tuple(WEIGHTS)
_WEIGHTS = tuple(WEIGHTS.values())


def _counts(text: str) -> tuple[int, ...]:
    """The features' values, in the order of :data:`WEIGHTS`."""
    data = text.encode("utf-8", errors="surrogatepass")
    # Byte i of the text is bits 8i..8i+7 of m (little-endian), so "m << 8" puts each byte's class under the next byte.
    m = int.from_bytes(data.translate(_ONE_HOT), "little")
    letter, digit, punct, space, line, high = _class_masks(len(data))
    starts = m & ~(m << 8)
    return ((starts & letter).bit_count(), (m & letter).bit_count(),
            (starts & digit).bit_count(), (m & digit).bit_count(),
            (starts & punct).bit_count(), (m & punct).bit_count(),
            # A line break (bit 4) shifted by 7 lands on the space/tab bit (bit 3) of the next byte.
            (starts & line).bit_count(), ((m << 7) & m & space).bit_count(),
            (m & high).bit_count())


def features(text: str) -> dict[str, int]:
    """The counts the estimate is a weighted sum of (bytes of the UTF-8 encoding, by class)."""
    return dict(zip(_NAMES, _counts(text)))


def estimate_tokens(text: str) -> int:
    """Estimated token count of ``text`` (0 only for empty text)."""
    if not text:
        return 0
    # Summed in the order of WEIGHTS, as always: the same floating-point result, so the same rounding.
    estimate = sum(w * v for w, v in zip(_WEIGHTS, _counts(text)))
    return max(1, round(estimate))
