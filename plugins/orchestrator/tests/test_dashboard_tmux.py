"""The live dashboard in a real terminal (tmux) of 80x24 and 120x40: whole daemon names, states and pids,
the least important columns gone first, failures in plain sight, and after Ctrl+C a last frame with every
daemon stopped and one summary line."""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from orchestrator_testkit import child_env, team_processes, team_toml, wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install -y "
                                "tmux): the dashboard is tested in a real terminal")

PLUGINS = "orchestrator_testdaemons,crash_testdaemons"
#: The dashboard's columns, the most important first: the shown ones are always the first few of these.
IMPORTANCE = ["daemon", "state", "pid", "task", "progress", "restarts", "uptime", "beat", "cpu", "mem", "phase"]
MISSING = "ModuleNotFoundError: No module named 'kin_no_such_module'"


class Terminal:
    """`kin <team>` alone in a detached tmux session of a fixed size, on a tmux server of its own."""

    def __init__(self, project: Path, team: str, width: int, height: int) -> None:
        self.width = width
        self.socket = f"kin-test-{os.getpid()}-{time.time_ns()}"
        self.env = {k: v for k, v in child_env(KIN_PLUGINS=PLUGINS).items() if not k.startswith("TMUX")}
        self.env.setdefault("TERM", "xterm-256color")
        # tmux does not always keep a dead pane's exit status: a shell around kin writes it down (its `trap :`
        # outlives Ctrl+C, and kin, whose disposition is reset to the default, gets the SIGINT as from a terminal)
        self.status_file = project.parent / f"{self.socket}.status"
        self.env["KIN_TEST_STATUS"] = str(self.status_file)
        conf = project.parent / f"{self.socket}.conf"
        conf.write_text("set -g remain-on-exit on\n")  # the last frame stays to be read
        self.tmux("-f", str(conf), "new-session", "-d", "-s", "kin", "-x", str(width), "-y", str(height),
                  "-c", str(project), "sh", "-c", 'trap : INT; "$0" "$@"; echo $? > "$KIN_TEST_STATUS"',
                  sys.executable, "-m", "shadeos_core", team)
        self.pid = int(self.tmux("display-message", "-p", "-t", "kin", "#{pane_pid}"))

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], env=self.env, capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()

    def screen(self) -> list[str]:
        """What the terminal shows, a wrapped line joined back into one (so a too long line shows as such)."""
        return self.tmux("capture-pane", "-p", "-J", "-t", "kin").splitlines()

    def wait_screen(self, check: Callable[[list[str]], object], what: str, timeout: float = 30) -> list[str]:
        return wait_for(lambda: (lines := self.screen()) and check(lines) and lines, timeout,
                        lambda: f"{what}; the screen:\n" + "\n".join(self.screen()))

    def press(self, key: str) -> None:
        self.tmux("send-keys", "-t", "kin", key)

    def exit_status(self) -> int | None:
        """kin's exit code once it has exited (as the shell around it saw it), else None."""
        try:
            text = self.status_file.read_text()
        except FileNotFoundError:
            return None
        return int(text) if text.endswith("\n") else None

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True, timeout=30)


@pytest.fixture
def terminal(project: Path) -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def open_terminal(team: str, width: int, height: int) -> Terminal:
        opened.append(Terminal(project, team, width, height))
        return opened[-1]

    try:
        yield open_terminal
    finally:
        for term in opened:
            term.close()
        for proc in team_processes(project):
            with contextlib.suppress(Exception):
                for child in proc.children(recursive=True):
                    child.kill()
                proc.kill()


def row(lines: list[str], pattern: str) -> str | None:
    return next((line for line in lines if re.match(pattern, line)), None)


def published(project: Path, team: str) -> dict[str, dict]:
    try:
        state = json.loads((project / ".kin" / "run" / "teams" / f"{team}.json").read_text())
    except (OSError, ValueError):
        return {}
    return {d["name"]: d for d in state.get("daemons", [])}


@pytest.mark.parametrize("width, height", [(80, 24), (120, 40)])
def test_the_dashboard_fits_the_terminal_and_ends_with_a_summary(project, write, terminal, width, height):
    write("teams/t.toml", team_toml(daemons={
        "production-assistant": {"type": "sleeper"},
        "indexer": {"type": "sleeper"},
        "tests": {"type": "command", "command": ["sh", "-c", "echo 'E   AssertionError: 1 != 2' >&2; exit 2"],
                  "every": "1h"},
        "broken": {"type": "unimportable", "start_retries": 1, "start_seconds": '"5s"'}}))
    term = terminal("t", width, height)

    def settled() -> dict[str, dict] | None:
        daemons = published(project, "t")
        ready = (len(daemons) == 4 and daemons["broken"]["state"] == "FATAL" and daemons["tests"].get("failing")
                 and all(daemons[n]["state"] == "RUNNING" for n in ("production-assistant", "indexer", "tests")))
        return daemons if ready else None

    daemons = wait_for(settled, 30, lambda: f"the team settled: {published(project, 't')}")
    expected = [rf"production-assistant\s+RUNNING\s+{daemons['production-assistant']['pid']}\b",
                rf"indexer\s+RUNNING\s+{daemons['indexer']['pid']}\b",
                rf"tests\s+RUNNING failing\s+{daemons['tests']['pid']}\b",
                r"broken\s+FATAL\b"]
    lines = term.wait_screen(lambda lines: all(row(lines, p) for p in expected), "every daemon whole on screen")
    assert f"broken: FATAL  {MISSING}" in lines
    assert "tests: failing  exit 2: E   AssertionError: 1 != 2" in lines
    assert all(len(line) <= width for line in lines), lines
    header = row(lines, r"daemon\s+state\s+pid\b")
    assert header is not None, lines
    columns = header.split()
    assert set(columns) == set(IMPORTANCE[:len(columns)]), f"a column shown before a more important one: {columns}"
    assert "task" in columns
    if width >= 120:
        assert {"progress", "restarts", "uptime"} <= set(columns), columns
    else:
        assert len(columns) < len(IMPORTANCE), columns

    term.press("C-c")
    final = term.wait_screen(lambda lines: row(lines, r"team t stopped after "), "the summary line")
    for name in ("production-assistant", "indexer", "tests"):
        assert row(final, rf"{name}\s+STOPPED(\s|$)"), final
    assert row(final, r"broken\s+FATAL(\s|$)"), final
    assert f"broken: FATAL  {MISSING}" in final
    summary = row(final, r"team t stopped after ")
    assert re.fullmatch(r"team t stopped after \S+: 3 daemons stopped, 1 FATAL \(broken\), 0 restarts", summary), final
    assert all(len(line) <= width for line in final), final
    wait_for(lambda: term.exit_status() is not None, 30, "kin to exit")
    assert term.exit_status() == 0
    wait_for(lambda: team_processes(project) == [], 30, "every daemon gone")
