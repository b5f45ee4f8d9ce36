"""The README's table of exit codes is what commands do: each documented code, shown by real `kin` processes."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

from helpers import wait_for

README = Path(__file__).resolve().parents[1] / "README.md"
TEAM = """\
[team]
description = "one command daemon that sleeps"

[daemons.nap]
type = "command"
command = ["sleep", "30"]
every = "1h"
"""


def documented_codes() -> dict[int, str]:
    """The rows of the README's exit-code table: code -> meaning."""
    text = README.read_text()
    table = text[text.index("| code | meaning |"):].split("\n\n", 1)[0]
    return {int(m[1]): m[2] for m in re.finditer(r"^\| (\d+) \| (.+) \|$", table, re.M)}


def started(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "shadeos_core", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def interrupted(proc: subprocess.Popen[str], ready: object) -> tuple[int, str]:
    """Ctrl+C once ``ready()`` holds: the exit code and what was said on stderr."""
    try:
        wait_for(ready, 60, "the command to be under way")
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err


def test_the_readme_documents_the_four_codes():
    assert sorted(documented_codes()) == [0, 1, 2, 130]


def test_success_is_0(project, kin):
    assert "success" in documented_codes()[0]
    assert kin("teams", "--json", cwd=project).returncode == 0


def test_a_check_that_finds_an_error_is_1(project, kin):
    assert "check" in documented_codes()[1]
    (project / "kin.toml").write_text("[map]\nlong = 50\ntoo_long = 100\n")
    (project / "long.md").write_text("word " * 400)
    found = kin("check", "--all", cwd=project)
    assert found.returncode == 1 and "long.md" in found.stdout


def test_usage_and_configuration_errors_are_2_in_one_line(project, kin):
    assert "configuration" in documented_codes()[2]
    for args in (["teams", "--no-such-option"], ["task", "add", "x", "--to", "ghost"], ["check", "--all", "a.md"]):
        proc = kin(*args, cwd=project)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, (args, proc)
    (project / "teams").mkdir()
    (project / "teams" / "t.toml").write_text(TEAM)
    (project / "kin.toml").write_text("[map\n")
    bad = kin("t", cwd=project)
    assert bad.returncode == 2 and "kin.toml" in bad.stderr and not (project / ".kin" / "run" / "teams").exists()


def test_ctrl_c_is_130_and_a_team_stopped_by_it_is_0(project):
    assert "interrupted" in documented_codes()[130]
    assert "Ctrl+C" in documented_codes()[0]
    follow = started(["exec", "--", "sleep", "30"], project)
    code, err = interrupted(follow, lambda: "sleep" in _children(follow.pid))
    assert code == 130, err

    (project / "teams").mkdir()
    (project / "teams" / "t.toml").write_text(TEAM)
    state = project / ".kin" / "run" / "teams" / "t.json"

    def nap_running() -> bool:
        try:
            return json.loads(state.read_text())["daemons"][0]["state"] == "RUNNING"
        except (OSError, ValueError, LookupError):
            return False

    code, err = interrupted(started(["t"], project), nap_running)
    assert code == 0, err


def test_kin_exec_passes_its_command_code(project, kin):
    assert kin("exec", "--", "sh", "-c", "exit 3", cwd=project).returncode == 3
    assert kin("exec", "--timeout", "0.5", "--", "sleep", "30", cwd=project).returncode == 124
    assert kin("exec", "--", "kin-no-such-program", cwd=project).returncode == 127
    assert kin("exec", "--", "sh", "-c", "kill -TERM $$", cwd=project).returncode == 128 + signal.SIGTERM


def _children(pid: int) -> list[str]:
    """The names of a process's descendants (those that end while being read are left out)."""
    import psutil

    names = []
    try:
        for child in psutil.Process(pid).children(recursive=True):
            try:
                names.append(child.name())
            except psutil.Error:
                continue
    except psutil.Error:
        pass
    return names
