"""Durations as people write them in team files: ``"250ms"``, ``"60s"``, ``"5m"``, ``"1h30m"``."""
from __future__ import annotations

import math
import re

from .errors import ConfigError

__all__ = ["parse_duration", "format_duration", "MAX_DURATION", "check_count"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")


#: The longest duration accepted anywhere: a year (anything longer is a mistake, and overflows timers).
MAX_DURATION = 366 * 86400.0


def parse_duration(value: object, *, where: str | None = None, positive: bool = False) -> float:
    """Return seconds for ``value`` (a number of seconds or a string like ``"1h30m"``).

    Raises :class:`ConfigError` naming ``where`` for anything else: not a
    duration, not finite (TOML's ``nan`` and ``inf``), negative, zero when
    ``positive``, or longer than :data:`MAX_DURATION`.
    """
    hint = 'write a number of seconds or e.g. "250ms", "30s", "5m", "1h30m"'
    if isinstance(value, bool):
        raise ConfigError(f"expected a duration, got {value!r}", where=where, hint=hint)
    if isinstance(value, (int, float)):
        seconds = float(value) if not isinstance(value, int) or abs(value) < 10**15 else math.inf
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip().lower()):
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(value.strip().lower()))
    else:
        raise ConfigError(f"bad duration {value!r}", where=where, hint=hint)
    if math.isnan(seconds):
        raise ConfigError(f"a duration must be a number, got {value!r}", where=where, hint=hint)
    if seconds < 0:
        raise ConfigError(f"a duration cannot be negative: {value!r}", where=where)
    if seconds > MAX_DURATION:
        raise ConfigError(f"duration {value!r} is longer than a year", where=where, hint="a year at most")
    if positive and seconds == 0:
        raise ConfigError(f"a duration of 0 means nothing here: {value!r}", where=where, hint=hint)
    return seconds


def format_duration(seconds: float) -> str:
    """Short human form: ``0.25s``, ``42s``, ``5m03s``, ``2h10m``."""
    if seconds < 10:
        return f"{seconds:.2g}s" if seconds < 1 else f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


def check_count(value: object, *, minimum: int = 0, maximum: int = 10**9, where: str | None = None,
                what: str = "number") -> int:
    """``value`` if it is a whole number within ``[minimum, maximum]``, else a one-line :class:`ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"expected a whole {what}, got {value!r}", where=where)
    if not minimum <= value <= maximum:
        raise ConfigError(f"{what} {value!r} is out of range", where=where, hint=f"between {minimum} and {maximum}")
    return value
