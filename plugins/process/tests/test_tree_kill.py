"""kill_process_tree, kill_process and kill_processes_by_name against real process trees."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

from shadeos_process import ExecutionMode, execute_command, kill_process, kill_process_tree, kill_processes_by_name
from shadeos_process.termination import protected_pids

SETSID_GRANDCHILD = "import os, time; os.setsid(); open('setsid.pid', 'w').write(str(os.getpid())); time.sleep(120)"
TERM_IGNORER = ("import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "open('ignorer.pid', 'w').write(str(os.getpid())); time.sleep(120)")


def _tree(project, reaper, wait_until):
    script = (f"sh -c 'sleep 120 & echo $! > chain.pid; wait' & "
              f"{sys.executable} -c \"{SETSID_GRANDCHILD}\" & "
              f"{sys.executable} -c \"{TERM_IGNORER}\" & wait")
    proc = subprocess.Popen(["sh", "-c", script], cwd=project, start_new_session=True)
    reaper.append(proc.pid)
    files = [project / n for n in ("chain.pid", "setsid.pid", "ignorer.pid")]
    wait_until(lambda: all(f.exists() and f.read_text() for f in files), what="the tree to start")
    return proc, [int(f.read_text()) for f in files]


def test_tree_kill_gets_chains_term_ignorers_and_setsid_grandchildren(project, reaper, gone, wait_until):
    proc, (sleeper, escaped, ignorer) = _tree(project, reaper, wait_until)
    reaper.extend([escaped])
    assert os.getsid(escaped) == escaped  # it really left the session
    report = kill_process_tree(proc.pid, timeout=1.0)
    proc.wait(timeout=10)
    assert report.survivors == []
    assert ignorer in report.killed  # SIGTERM was not enough for it
    for pid in (proc.pid, sleeper, escaped, ignorer):
        assert gone(pid), pid


def test_tree_kill_of_a_gone_pid_is_not_an_error(project):
    proc = subprocess.Popen(["true"])
    proc.wait()
    assert kill_process_tree(proc.pid, timeout=1).survivors == []


def test_kill_process_escalates_to_sigkill(project, reaper, gone, wait_until):
    result = execute_command([sys.executable, "-c", TERM_IGNORER], ExecutionMode.BACKGROUND, cwd=str(project))
    reaper.append(result.pid)
    wait_until(lambda: (project / "ignorer.pid").exists(), what="the handler to be installed")
    assert kill_process(result.pid, timeout=0.5) == -signal.SIGKILL
    assert gone(result.pid)


def test_kill_by_name_is_exact_and_spares_this_process(project, tmp_path, reaper, gone):
    program = tmp_path / "kinzzsleeper"
    shutil.copy(shutil.which("sleep"), program)
    similar = tmp_path / "kinzzsleeper2"
    shutil.copy(shutil.which("sleep"), similar)
    target = subprocess.Popen([str(program), "60"], start_new_session=True)
    other = subprocess.Popen([str(similar), "60"], start_new_session=True)
    reaper.extend([target.pid, other.pid])
    try:
        killed = kill_processes_by_name("kinzzsleeper", timeout=5)
        assert killed == [target.pid]
        assert gone(target.pid)
        assert not gone(other.pid)
        # this process and its ancestors are never candidates, whatever their name
        assert {os.getpid(), os.getppid()} <= protected_pids()
    finally:
        other.kill()
        other.wait()
