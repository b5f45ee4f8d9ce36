"""Fixtures of the agents plugin's tests: a scripted model server reached through llm, a git project."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from agents_testkit import FakeLLM, TeamRun, llm_home  # noqa: E402


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    """The scripted OpenAI-compatible server (``fake.script = …``; ``fake.requests``)."""
    with FakeLLM() as server:
        yield server


@pytest.fixture
def llm_env(tmp_path: Path, fake: FakeLLM) -> dict[str, str]:
    """Environment pointing llm (through LLM_USER_PATH) at the fake server's models."""
    return llm_home(tmp_path / "llm", fake.url)


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """The project as a git repository with one commit (kin's state ignored)."""
    return git_repo


@pytest.fixture
def runs() -> Iterator[list[TeamRun]]:
    """Team runs started by a test; whatever is left is killed at the end."""
    started: list[TeamRun] = []
    yield started
    for run in started:
        run.kill_everything()
