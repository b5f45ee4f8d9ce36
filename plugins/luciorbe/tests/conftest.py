"""Fixtures of the luciorbe plugin's tests (helpers live in luciorbe_testkit.py, beside this file)."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from luciorbe_testkit import Processes  # noqa: E402


@pytest.fixture
def procs() -> Iterator[Processes]:
    """Start real processes with ``procs.start``/``procs.keeper``; every group is killed afterwards."""
    box = Processes()
    try:
        yield box
    finally:
        box.cleanup()
