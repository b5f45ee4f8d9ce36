"""Fixtures of the web plugin's tests: ``kin web`` as a real process, a real headless Chromium (Debian's
``chromium`` driven by Playwright), teams run for real."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from web_testkit import WebServer  # noqa: E402

from shadeos_core.testing import TeamRun, team_processes  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Chromium is not installed here (Debian: apt-get install chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    # The root conftest closes the pipes of every process a test started once that test ends; Playwright's
    # driver lives as long as the module and talks over its pipes: it is not the test's to close.
    tracked: list[Any] = getattr(subprocess.Popen.__init__, "__globals__", {}).get("_STARTED", [])
    before = list(tracked)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        tracked[:] = [proc for proc in tracked if any(proc is old for old in before)]
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def servers() -> Iterator[list[WebServer]]:
    """``kin web`` processes a test started; each is stopped with Ctrl+C at the end."""
    started: list[WebServer] = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def web(project: Path, servers: list[WebServer]) -> Any:
    """``web(env=None, *args)``: start ``kin web`` in the project."""

    def start(env: dict[str, str] | None = None, *args: str) -> WebServer:
        server = WebServer(project, env, *args)
        servers.append(server)
        return server

    return start


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page (its own cookies); dialogs (confirmations) are accepted."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def runs(project: Path) -> Iterator[list[TeamRun]]:
    """Teams a test ran; whatever is left is killed at the end (a team started from the page too)."""
    started: list[TeamRun] = []
    yield started
    for run in started:
        run.kill_everything()
    from shadeos_core.teamstate import read_team_states
    from shadeos_core.workspace import Workspace

    for state in read_team_states(Workspace(project)):
        if state["running"] and isinstance(state.get("pid"), int):
            try:
                os.killpg(state["pid"], signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    for proc in team_processes(project):
        with contextlib.suppress(psutil.Error):
            proc.kill()
