"""Counting with ``tiktoken`` when it is installed and its encoding is already on disk.

Registered as its own plugin (``map-tiktoken``) next to the map plugin when
``tiktoken`` can be imported. The encoding loads only from tiktoken's local
cache (``TIKTOKEN_CACHE_DIR``): this module never lets tiktoken download,
so a machine without network falls back to the offline estimator at once.
The encoding is chosen with ``KIN_TIKTOKEN_ENCODING`` (default ``cl100k_base``).
"""
from __future__ import annotations

import os
import threading
from typing import Any

from shadeos_core.hookspecs import hookimpl

__all__ = ["count_tokens", "encoding", "DEFAULT_ENCODING"]

DEFAULT_ENCODING = "cl100k_base"
_lock = threading.Lock()
_loaded: dict[str, Any] = {}


class _Offline(Exception):
    """tiktoken asked for a file that is not in its cache."""


def encoding() -> Any:
    """The tiktoken encoding, or ``None`` when it cannot load without network (decided once per process)."""
    name = os.environ.get("KIN_TIKTOKEN_ENCODING", DEFAULT_ENCODING)
    with _lock:
        if name not in _loaded:
            _loaded[name] = _load_offline(name)
        return _loaded[name]


def _load_offline(name: str) -> Any:
    try:
        import tiktoken
        import tiktoken.load as loader
    except ImportError:
        return None
    original = loader.read_file

    def refuse_network(blobpath: str) -> bytes:
        if "://" in blobpath:
            raise _Offline(blobpath)
        return bytes(original(blobpath))

    loader.read_file = refuse_network
    try:
        return tiktoken.get_encoding(name)
    except Exception:  # not cached, unknown name, corrupt cache: all mean "not available here"
        return None
    finally:
        loader.read_file = original


@hookimpl
def count_tokens(text: str, path: str) -> int | None:
    """Exact count with tiktoken; ``None`` (let the estimator answer) when the encoding is unavailable."""
    enc = encoding()
    if enc is None:
        return None
    return len(enc.encode(text, disallowed_special=()))
