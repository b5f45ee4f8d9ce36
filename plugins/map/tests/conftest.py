"""Fixtures of the map plugin's tests: ``kin`` with the word-counting test plugin loaded."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# Test files import ``map_testing`` from here (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))
from map_testing import words_env  # noqa: E402


@pytest.fixture
def kin_words(kin):
    """``kin_words("map", "--json", cwd=...)``: run kin with the word counter; ``--json`` output parsed."""

    def run(*args: str, cwd: Path, env: dict[str, str] | None = None, expect: int | None = 0):
        proc = kin(*args, cwd=cwd, env=words_env(**(env or {})))
        if expect is not None:
            assert proc.returncode == expect, f"kin {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        if "--json" in args:
            return json.loads(proc.stdout), proc
        return proc

    return run
