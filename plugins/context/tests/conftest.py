"""Fixtures of the context plugin's tests: a kernel whose archive is the JSONL stub, and the env to use it in `kin`."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import context_archive_stub  # noqa: E402


@pytest.fixture
def stub():
    """The stub archive module (``records(workspace)``, ``searches(workspace)``)."""
    return context_archive_stub


@pytest.fixture
def stub_kernel(project: Path) -> Any:
    """A kernel of ``project`` whose archive hooks are answered by the stub (the real archivist blocked)."""
    from shadeos_core import Kernel

    return Kernel.load(project, disabled=["archivist"], extra=[("context_archive_stub", context_archive_stub)])


@pytest.fixture
def bare_kernel(project: Path) -> Any:
    """A kernel of ``project`` with no archive at all."""
    from shadeos_core import Kernel

    return Kernel.load(project, disabled=["archivist"])


@pytest.fixture
def stub_env() -> dict[str, str]:
    """Environment for a `kin` or runner subprocess that uses the stub archive."""
    path = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH", "")]))
    return {"PYTHONPATH": path, "KIN_PLUGINS": "context_archive_stub", "KIN_DISABLE_PLUGINS": "archivist"}
