"""INTERACTIVE sessions answer what is sent; MONITORED callbacks see every line, in order."""
from __future__ import annotations

import sys
import threading

import pytest

from shadeos_core import KinError
from shadeos_process import (
    ExecutionMode,
    cleanup_finished_processes,
    communicate_with_process,
    execute_command,
    get_active_processes,
    read_from_process,
    read_until,
    wait_for_process,
    write_to_process,
)


def test_interactive_python_session_answers(project, reaper):
    result = execute_command([sys.executable, "-i", "-u", "-q"], mode=ExecutionMode.INTERACTIVE)
    reaper.append(result.pid)
    assert result.pid in [p.pid for p in get_active_processes()]
    read_until(result.pid, ">>> ", timeout=20)
    answer = communicate_with_process(result.pid, "print(6 * 7)\n", expect=r"42\n", timeout=20)
    assert answer.strip().endswith("42")
    write_to_process(result.pid, "x = 'kin' * 2\nprint(x.upper())\n")
    assert "KINKIN" in read_until(result.pid, r"KINKIN", timeout=20)
    write_to_process(result.pid, "import sys; sys.exit(5)\n")
    assert wait_for_process(result.pid, timeout=20).returncode == 5
    assert "KINKIN" in read_from_process(result.pid, 10)
    with pytest.raises(KinError, match="no longer reads its input|ended before"):
        write_to_process(result.pid, "print(1)\n")
        read_until(result.pid, "never", timeout=5)
    assert result.pid in [r.pid for r in cleanup_finished_processes()]
    assert result.pid not in [p.pid for p in get_active_processes()]


def test_monitored_callbacks_get_every_line_in_order(project, reaper):
    code = ("import sys\n"
            "for i in range(2000):\n"
            "    print(f'out {i}')\n"
            "    if i % 100 == 0: print(f'err {i}', file=sys.stderr)\n")
    out, err, completed = [], [], []
    finished = threading.Event()

    def on_complete(result):
        completed.append((result.returncode, len(out), len(err)))
        finished.set()

    result = execute_command([sys.executable, "-c", code], mode=ExecutionMode.MONITORED, on_output=out.append,
                             on_error=err.append, on_complete=on_complete)
    reaper.append(result.pid)
    assert finished.wait(60)
    assert out == [f"out {i}" for i in range(2000)]
    assert err == [f"err {i}" for i in range(0, 2000, 100)]
    assert completed == [(0, 2000, 20)]  # once, after the last line
    assert result.returncode == 0 and result.stdout.count("\n") == 2000


def test_read_from_an_unmanaged_pid_is_a_clear_error(project):
    import os

    with pytest.raises(KinError, match="was not started here"):
        read_from_process(os.getppid())
