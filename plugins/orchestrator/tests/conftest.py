"""Fixtures for the orchestrator's tests (helpers live in orchestrator_testkit)."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from orchestrator_testkit import TeamRun, child_env  # noqa: E402


@pytest.fixture
def run_team(project: Path) -> Iterator[Callable[..., TeamRun]]:
    """``run_team("t")`` starts `kin t` in the project; everything it started is killed afterwards."""
    runs: list[TeamRun] = []

    def start(team: str, **env: str) -> TeamRun:
        run = TeamRun(project, team, child_env(**env))
        runs.append(run)
        return run

    try:
        yield start
    finally:
        for run in runs:
            run.kill_everything()

