"""Helpers for the core's tests: test plugins on the path, waiting for conditions."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from shadeos_core.testing import kill_group, wait_for

__all__ = ["KINPLUGINS", "plugin_env", "start_runner", "kill_group", "wait_for"]

KINPLUGINS = Path(__file__).resolve().parent / "kinplugins"


def plugin_env(*modules: str, **extra: str) -> dict[str, str]:
    """Environment that loads the given test plugin modules into every kin process."""
    path = os.pathsep.join(filter(None, [str(KINPLUGINS), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "KIN_PLUGINS": ",".join(modules), "PYTHONPATH": path, **extra}


def start_runner(team: str, daemon: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "shadeos_core.runner", "--team", team, "--daemon", daemon],
                            cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
