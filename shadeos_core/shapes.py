"""Typed reading of JSON records that came from disk or a message (untrusted input).

A record file may be damaged, hand-edited or written by a hostile process: a
reader that trusts its shape crashes on the first wrong type. :func:`typed`
keeps the known fields whose value has the declared kind and drops the others,
so the reader's defaults apply; unknown fields pass through untouched.

Kinds: :data:`TEXT` (str), :data:`INT` (int, not bool), :data:`NUMBER`
(finite int or float, not bool), :data:`FLAG` (bool), :data:`LIST`,
:data:`OBJECT` (dict). ``None`` always passes: it means "unknown".
"""
from __future__ import annotations

import math
from typing import Any

__all__ = ["TEXT", "INT", "NUMBER", "FLAG", "LIST", "OBJECT", "fits", "typed", "objects", "texts"]

TEXT, INT, NUMBER, FLAG, LIST, OBJECT = "text", "int", "number", "flag", "list", "object"

_TYPES: dict[str, type | tuple[type, ...]] = {TEXT: str, FLAG: bool, LIST: list, OBJECT: dict}


def fits(value: Any, kind: str) -> bool:
    """Whether ``value`` is of ``kind`` (see the module doc)."""
    if kind in _TYPES:
        return isinstance(value, _TYPES[kind])
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) if kind == INT else math.isfinite(value)


def typed(data: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """``data`` without the fields of ``fields`` whose value is not of the declared kind (``None`` stays)."""
    return {key: value for key, value in data.items()
            if key not in fields or value is None or fits(value, fields[key])}


def objects(value: Any, fields: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The objects of a list (each :func:`typed` by ``fields`` when given); ``[]`` when ``value`` is no list."""
    if not isinstance(value, list):
        return []
    return [typed(item, fields) if fields else item for item in value if isinstance(item, dict)]


def texts(value: Any) -> list[str]:
    """The strings of a list; ``[]`` when ``value`` is no list."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
