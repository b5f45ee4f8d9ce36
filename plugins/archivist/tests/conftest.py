"""Fixtures of the archivist's tests: a real archive in a real workspace, once per backend."""
from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from shadeos_archivist.archivist import Archivist

BACKENDS = ("whoosh", "sqlite")


def _configure(project: Path, backend: str, extra: str = "") -> None:
    (project / "kin.toml").write_text(f'[archivist]\nbackend = "{backend}"\n{extra}')


@pytest.fixture
def configure():
    """``configure(project, backend, extra_toml="")``: write the workspace's ``[archivist]`` table."""
    return _configure


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, project: Path) -> str:
    _configure(project, request.param)
    return request.param


@pytest.fixture
def archive(project: Path, backend: str) -> Iterator[Archivist]:
    """An empty archive of the test workspace, with the backend under test."""
    archivist = Archivist.open(project)
    try:
        yield archivist
    finally:
        archivist.close()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    """Processes a test starts (each in its own session); their groups are killed at the end."""
    started: list[subprocess.Popen] = []
    try:
        yield started
    finally:
        for proc in started:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait(timeout=30)
