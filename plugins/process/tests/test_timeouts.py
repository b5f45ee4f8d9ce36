"""A timeout in every mode stops the whole tree: nothing is left behind."""
from __future__ import annotations

import sys

import pytest

from shadeos_process import ExecutionMode, execute_command, wait_for_process

# A shell that starts a sleeping child and a sub-shell with its own sleeping child, listing every pid.
TREE = ("echo $$ >> pids; sleep 120 & echo $! >> pids; "
        "sh -c 'echo $$ >> pids; sleep 120 & echo $! >> pids; wait' & echo $! >> pids; wait")


def _pids(project):
    return [int(x) for x in (project / "pids").read_text().split()]


@pytest.mark.parametrize("mode", list(ExecutionMode))
def test_timeout_in_each_mode_leaves_no_process(project, mode, reaper, gone, wait_until):
    result = execute_command(["sh", "-c", TREE], mode=mode, timeout=1.0, cwd=str(project), grace=2.0)
    reaper.append(result.pid)
    if mode is not ExecutionMode.BLOCKING:
        result = wait_for_process(result.pid, timeout=30)
    assert result.timed_out
    assert result.returncode is not None and result.returncode < 0
    pids = _pids(project)
    assert len(set(pids)) == 4  # two shells, two sleeps
    wait_until(lambda: all(gone(p) for p in pids), timeout=10, what="every process of the tree to end")


def test_kin_exec_timeout_exits_124_and_cleans_up(project, kin, gone):
    proc = kin("exec", "--timeout", "1", "--", "sh", "-c", TREE, cwd=project)
    assert proc.returncode == 124
    assert "timed out after 1.0s" in proc.stderr
    assert all(gone(p) for p in _pids(project))


def test_output_before_a_timeout_is_kept(project):
    code = "import time; print('partial', flush=True); time.sleep(60)"
    result = execute_command([sys.executable, "-c", code], timeout=1.0)
    assert result.timed_out and result.stdout == "partial\n"
