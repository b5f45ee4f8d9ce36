"""Helpers of the map plugin's tests: the word-counting plugin's environment and exact-size texts."""
from __future__ import annotations

import os
from pathlib import Path

PLUGINS_DIR = Path(__file__).parent / "plugins"


def words_env(**extra: str) -> dict[str, str]:
    """Environment that loads ``map_words`` (1 token = 1 word) into every ``kin`` and runner process."""
    path = os.pathsep.join(p for p in (str(PLUGINS_DIR), os.environ.get("PYTHONPATH", "")) if p)
    return {"KIN_PLUGINS": "map_words", "PYTHONPATH": path, **extra}


def words(n: int) -> str:
    """Text of exactly ``n`` words, in lines of ten."""
    lines = [" ".join(["word"] * min(10, n - i)) for i in range(0, n, 10)]
    return "\n".join(lines) + "\n"
