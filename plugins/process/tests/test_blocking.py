"""BLOCKING runs: exit codes, separate streams, quoting, environment, a missing program."""
from __future__ import annotations

import sys

import pytest

from shadeos_process import CommandNotFound, ExecutionMode, execute_command


def test_exit_code_and_separate_streams(project):
    result = execute_command(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert result.mode == "blocking" and not result.timed_out and result.pid > 0
    assert execute_command("true", mode=ExecutionMode.BLOCKING).returncode == 0
    # nothing stays recorded once a blocking run is over
    assert not list((project / ".kin" / "run" / "processes").glob("*.json"))


def test_quotes_and_spaces_survive_splitting(project):
    result = execute_command("""printf '[%s]' "two words" 'single "inner"' plain""")
    assert result.stdout == '[two words][single "inner"][plain]'
    shell = execute_command("""printf '[%s]' "a  b" | tr a A""", shell=True)
    assert shell.stdout == "[A  b]"


def test_env_is_merged_over_the_parent_environment(project, monkeypatch):
    monkeypatch.setenv("KIN_FROM_PARENT", "kept")
    code = "import os; print(os.environ['KIN_FROM_PARENT'], os.environ['KIN_ADDED'])"
    result = execute_command([sys.executable, "-c", code], env={"KIN_ADDED": "added"})
    assert result.stdout.split() == ["kept", "added"]


def test_missing_executable_is_one_clear_error(project, kin):
    with pytest.raises(CommandNotFound, match="command not found: 'kin-no-such-program'"):
        execute_command(["kin-no-such-program", "x"])
    proc = kin("exec", "--", "kin-no-such-program", "--flag", cwd=project)
    assert proc.returncode == 127
    lines = [line for line in proc.stderr.splitlines() if "kin-no-such-program" in line]
    assert lines == ["kin: error: command not found: 'kin-no-such-program' "
                     "(check the spelling, or that it is installed and on PATH)"]
    assert "Traceback" not in proc.stderr


def test_kin_exec_returns_the_exit_code_and_passes_output_through(project, kin):
    proc = kin("exec", "--", "sh", "-c", "echo 'to out'; echo 'to err' >&2; exit 7", cwd=project)
    assert proc.returncode == 7
    assert proc.stdout == "to out\n"
    assert "to err" in proc.stderr and "to err" not in proc.stdout
