"""Helpers for the core's tests: test plugins on the path, waiting for conditions."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

KINPLUGINS = Path(__file__).resolve().parent / "kinplugins"


def plugin_env(*modules: str, **extra: str) -> dict[str, str]:
    """Environment that loads the given test plugin modules into every kin process."""
    path = os.pathsep.join(filter(None, [str(KINPLUGINS), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "KIN_PLUGINS": ",".join(modules), "PYTHONPATH": path, **extra}


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_runner(team: str, daemon: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "shadeos_core.runner", "--team", team, "--daemon", daemon],
                            cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def kill_group(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
