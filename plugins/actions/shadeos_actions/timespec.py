"""``--since`` and ``--until`` as people write them: a duration back from now, or a moment."""
from __future__ import annotations

import datetime as dt
import time

from shadeos_core.durations import parse_duration
from shadeos_core.errors import ConfigError, UsageError

__all__ = ["parse_moment"]


def parse_moment(text: str, *, option: str = "--since", now: float | None = None) -> float:
    """Epoch seconds for ``text``: ``"1h"``, ``"30m"``, ``"2d"`` (that long ago), an ISO time
    (``2026-11-20T14:30``, ``2026-11-20``; without a zone: local time) or epoch seconds."""
    now = time.time() if now is None else now
    value = text.strip()
    hint = 'e.g. 30m, 1h, 2d, 2026-11-20 or 2026-11-20T14:30:00Z'
    if not value:
        raise UsageError(f"{option} needs a value", hint=hint)
    try:
        return now - parse_duration(value)
    except ConfigError:
        pass
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {text!r} is neither a duration nor a time", hint=hint) from None
    return moment.timestamp()
