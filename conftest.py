"""Fixtures shared by the core's and every plugin's tests: real workspaces, real ``kin`` processes."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Tests make real git commits in temporary repositories; they must not depend on the machine's git identity.
for _key, _value in {"GIT_AUTHOR_NAME": "kin tests", "GIT_AUTHOR_EMAIL": "tests@kin.invalid",
                     "GIT_COMMITTER_NAME": "kin tests", "GIT_COMMITTER_EMAIL": "tests@kin.invalid"}.items():
    os.environ.setdefault(_key, _value)
os.environ.pop("KIN_DISABLE_PLUGINS", None)
os.environ.pop("KIN_STRICT_PLUGINS", None)
# No test may reach a real model provider: llm gets an empty configuration of its own, and no key or model
# from the machine's environment (the agents' tests point LLM_USER_PATH at their scripted server instead).
os.environ["LLM_USER_PATH"] = tempfile.mkdtemp(prefix="kin-tests-llm-")
for _key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "KIN_MODEL", "LLM_MODEL"):
    os.environ.pop(_key, None)


def run_kin(*args: str, cwd: str | os.PathLike[str], env: dict[str, str] | None = None, timeout: float = 120,
            input: str | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real ``kin`` command line (``python -m shadeos_core``) in ``cwd``."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "shadeos_core", *args], cwd=cwd, env=full_env, text=True,
                          capture_output=True, timeout=timeout, input=input)
    if check and proc.returncode != 0:
        raise AssertionError(f"kin {' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


# held until the test ends: a process object dropped mid-test would otherwise be collected with its pipes open
_STARTED: list[subprocess.Popen[Any]] = []
_popen_init = subprocess.Popen.__init__


def _tracked_init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
    _popen_init(self, *args, **kwargs)
    _STARTED.append(self)


subprocess.Popen.__init__ = _tracked_init  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _pipes_closed() -> Iterator[None]:
    """Each process a test started has its pipes closed when the test ends (after the test's own fixtures
    stopped it): what the test did not read is not needed, and warnings are errors here."""
    yield
    for proc in _STARTED:
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError, ValueError):
                    pipe.close()
        with contextlib.suppress(OSError):
            proc.poll()  # reaped if it ended, so that nothing is left to say about it later
    _STARTED.clear()


@pytest.fixture
def kin():
    """The ``run_kin`` helper: ``kin("teams", "--json", cwd=project)``."""
    return run_kin


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """An empty workspace (a directory with ``kin.toml``); the cwd during the test."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "kin.toml").write_text("# test workspace\n")
    old = os.getcwd()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(old)


@pytest.fixture
def write(project: Path):
    """``write("teams/x.toml", text)``: write a dedented file under the project; returns its path."""

    def _write(relpath: str, text: str) -> Path:
        path = project / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return _write


@pytest.fixture
def git_repo(project: Path) -> Path:
    """The project as a real git repository with one commit."""
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    (project / ".gitignore").write_text(".kin/\n")
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "initial"], cwd=project, check=True)
    return project
