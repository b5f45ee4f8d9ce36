"""Fixtures of the actions plugin's tests: real teams in real workspaces, a scripted model server."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from actions_testkit import Run  # noqa: E402


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    """Team runs started by a test; whatever is left is killed at the end."""
    started: list[Run] = []
    yield started
    for run in started:
        run.kill_everything()


@pytest.fixture
def fake() -> Iterator[object]:
    from shadeos_agents.testing import FakeLLM

    with FakeLLM() as server:
        yield server


@pytest.fixture
def llm_env(tmp_path: Path, fake) -> dict[str, str]:
    from shadeos_agents.testing import llm_home

    return llm_home(tmp_path / "llm", fake.url, models=[
        {"model_id": "fake-a", "model_name": "fake-a", "supports_tools": True},
        {"model_id": "fake-b", "model_name": "fake-b", "supports_tools": True},
        {"model_id": "fake-plain", "model_name": "fake-plain", "can_stream": False},
    ])
