"""Find the line of a key path in TOML text, so errors can point at it (tomllib gives no positions)."""
from __future__ import annotations

import re

__all__ = ["locate"]

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.\- "']+?)\s*=""")


def _split(dotted: str) -> tuple[str, ...]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', dotted)
    return tuple(next(p for p in group if p) if any(group) else "" for group in parts)


def locate(text: str, path: tuple[str, ...]) -> int | None:
    """1-based line of ``path`` (table names then key), or of its nearest enclosing table."""
    table: tuple[str, ...] = ()
    best: tuple[int, int] | None = None  # (depth matched, line)
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _split(header.group(1))
            if path[: len(table)] == table and (best is None or len(table) > best[0]):
                best = (len(table), number)
            continue
        key = _KEY.match(line)
        if key:
            full = table + _split(key.group(1).strip())
            if path[: len(full)] == full and (best is None or len(full) > best[0]):
                best = (len(full), number)
    return best[1] if best else None
