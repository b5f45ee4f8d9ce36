"""Durations as people write them in team files: ``"250ms"``, ``"60s"``, ``"5m"``, ``"1h30m"``."""
from __future__ import annotations

import re

from .errors import ConfigError

__all__ = ["parse_duration", "format_duration"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")


def parse_duration(value: object, *, where: str | None = None) -> float:
    """Return seconds for ``value`` (a number of seconds or a string like ``"1h30m"``).

    Raises :class:`ConfigError` naming ``where`` for anything else.
    """
    if isinstance(value, bool):
        raise ConfigError(f"expected a duration, got {value!r}", where=where, hint='write e.g. "30s", "5m" or "1h30m"')
    if isinstance(value, (int, float)):
        if value < 0:
            raise ConfigError(f"a duration cannot be negative: {value!r}", where=where)
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if _WHOLE.fullmatch(text):
            return sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    raise ConfigError(
        f"bad duration {value!r}",
        where=where,
        hint='write a number of seconds or e.g. "250ms", "30s", "5m", "1h30m"',
    )


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
