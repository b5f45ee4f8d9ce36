"""The action record: one JSON line per event, and what the analysis reads out of any record.

A record is ``{"time", "daemon", "team", "kind", "pid", "data"}``: the
``DaemonEvent`` as emitted, whatever its kind. Nothing here knows the list of
kinds: durations, tokens, failures and paths are read from the field names
events use (``duration``, ``input_tokens``/``output_tokens``, ``returncode``,
``ok``, ``error``, ``status``/``outcome``, ``path``/``file``/``paths``/``edited``).
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shadeos_core.events import DaemonEvent

__all__ = ["Record", "FAILURE_KINDS", "encode", "duration", "tokens", "failed", "error_text", "paths", "idle", "role"]

Record = dict[str, Any]

#: Kinds that are failures by their nature, whatever their data says.
FAILURE_KINDS = frozenset({"crashed", "fatal", "dead_letter", "delivery_failed"})
_IDLE_STATUSES = frozenset({"idle", "nothing-to-do"})
_NUMBERS = re.compile(r"\d+(?:\.\d+)?")


def encode(event: DaemonEvent, pid: int) -> bytes:
    """One line of JSON (``\\n``-terminated) for ``event``; a value JSON cannot hold is written as its ``str``."""
    record = {"time": round(event.time, 6), "daemon": event.daemon_id, "team": event.team, "kind": event.kind,
              "pid": pid, "data": event.data}
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode("utf-8")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def duration(record: Record) -> float | None:
    """Seconds the action took, when its event says (``data.duration``)."""
    return _number(record["data"].get("duration"))


def tokens(record: Record) -> tuple[int, int]:
    """``(input_tokens, output_tokens)`` the action cost (0 when it says nothing)."""
    data = record["data"]
    return int(_number(data.get("input_tokens")) or 0), int(_number(data.get("output_tokens")) or 0)


def failed(record: Record) -> bool:
    """Whether the action failed: a failure kind, a non-zero ``returncode``, ``ok`` false, an ``error``,
    a ``status`` or ``outcome`` of ``error``/``failed``."""
    if record["kind"] in FAILURE_KINDS:
        return True
    data = record["data"]
    code = data.get("returncode")
    if isinstance(code, int) and not isinstance(code, bool) and code != 0:
        return True
    if data.get("ok") is False or data.get("timed_out") is True:
        return True
    if data.get("error"):
        return True
    return data.get("status") in ("error", "failed") or data.get("outcome") in ("error", "failed")


def error_text(record: Record) -> str:
    """A short signature of a failure, numbers blanked, so the same error seen twice reads the same."""
    data = record["data"]
    text = data.get("error") or data.get("reason") or data.get("tail") or ""
    if not text and isinstance(data.get("returncode"), int):
        text = f"exit {data['returncode']}"
    if not text:
        text = str(data.get("status") or data.get("outcome") or record["kind"])
    head = str(text).strip().splitlines()[-1] if str(text).strip() else str(text)
    return _NUMBERS.sub("#", head)[:160]


def paths(record: Record) -> list[str]:
    """The files an action changed or fought over (``path``, ``file``, ``paths``, ``edited``)."""
    data = record["data"]
    found: list[str] = []
    for key in ("path", "file"):
        value = data.get(key)
        if isinstance(value, str) and value:
            found.append(value)
    for key in ("paths", "edited"):
        value = data.get(key)
        if isinstance(value, list):
            found.extend(v for v in value if isinstance(v, str))
    return found


def idle(record: Record) -> bool:
    """A cycle that did nothing: ``status`` idle, or ``outcome`` nothing-to-do."""
    data = record["data"]
    return data.get("status") in _IDLE_STATUSES or data.get("outcome") in _IDLE_STATUSES


def role(daemon_id: str) -> str:
    """The role of ``team.name``: its name (the same role in two teams is the same role)."""
    return daemon_id.rsplit(".", 1)[-1] if daemon_id else "(team)"
