"""Text that is safe to show on one line, whatever a file name holds."""
from __future__ import annotations

__all__ = ["shown"]

_CONTROL = {c: f"\\x{c:02x}" for c in range(32)} | {9: "\\t", 10: "\\n", 13: "\\r", 127: "\\x7f"}


def shown(text: object) -> str:
    """``text`` safe to print on one line: control characters escaped (``\\n``), bytes that are not UTF-8
    (the lone surrogates of such a file name) shown as ``\\xff``. Printable text comes back as it is."""
    value = str(text)
    if value.isprintable():
        return value
    value = value.translate(_CONTROL)
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value
