"""Read-only JSON values: what a read hands out is the cached value itself, which nobody may change.

:class:`ReadOnlyDict` and :class:`ReadOnlyList` are ``dict`` and ``list``
(``isinstance``, ``==``, ``json.dumps`` and iteration work as usual) whose
every mutating method raises ``TypeError``. A copy — ``dict(value)``,
``copy.copy``, ``copy.deepcopy``, pickling, :func:`copy_json` — is a plain,
changeable one.
"""
from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["ReadOnlyDict", "ReadOnlyList", "copy_json", "freeze_json"]

_WHY = "context data is read-only (it is shared with every later read): change a copy, e.g. copy_json(value)"


def _refuse(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise TypeError(_WHY)


class ReadOnlyDict(dict[str, Any]):
    """A JSON object that refuses changes."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return copy_json(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (copy_json(self),))

    def __repr__(self) -> str:
        return f"ReadOnlyDict({dict.__repr__(self)})"


class ReadOnlyList(list[Any]):
    """A JSON array that refuses changes."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return copy_json(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (copy_json(self),))

    def __repr__(self) -> str:
        return f"ReadOnlyList({list.__repr__(self)})"


def freeze_json(value: Any) -> Any:
    """``value`` (a decoded JSON value) with every object and array made read-only."""
    if isinstance(value, dict):
        return ReadOnlyDict({k: freeze_json(v) for k, v in value.items()})
    if isinstance(value, list):
        return ReadOnlyList([freeze_json(v) for v in value])
    return value


def copy_json(value: Any) -> Any:
    """A deep, changeable copy of a JSON value (faster than ``copy.deepcopy`` for the only types JSON has)."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value
