"""Children die with the process that started them, even when it is SIGKILLed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap


def test_sigkill_of_kin_exec_takes_its_child(project, reaper, gone, wait_until):
    kin = subprocess.Popen([sys.executable, "-m", "shadeos_core", "exec", "--mode", "background", "--name", "held",
                            "--", "sleep", "300"], cwd=project, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    reaper.append(kin.pid)
    record = project / ".kin" / "run" / "processes"
    wait_until(lambda: record.is_dir() and list(record.glob("*.json")), what="the record")
    child = json.loads(next(record.glob("*.json")).read_text())["pid"]
    reaper.append(child)
    assert not gone(child)
    os.kill(kin.pid, signal.SIGKILL)
    kin.wait(timeout=10)
    wait_until(lambda: gone(child), timeout=15, what="the child to die with kin")


def test_sigkill_of_a_python_parent_using_the_api_takes_its_children(project, reaper, gone, wait_until):
    # The blocking run goes in a thread so the main thread can say when all four children are reported: a
    # SIGKILL between a fork and its report (microseconds) is the one moment a blocking child is not covered.
    parent_code = textwrap.dedent("""
        import threading, time
        from shadeos_process import ExecutionMode, execute_command, guard
        pids = [execute_command(["sleep", "300"], mode=m).pid
                for m in (ExecutionMode.BACKGROUND, ExecutionMode.MONITORED, ExecutionMode.INTERACTIVE)]
        threading.Thread(target=execute_command, args=(["sleep", "300"],)).start()  # BLOCKING
        while len(guard.watched()) < 4:
            time.sleep(0.01)
        print(*pids, *(guard.watched() - set(pids)), flush=True)
    """)
    parent = subprocess.Popen([sys.executable, "-c", parent_code], cwd=project, stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    reaper.append(parent.pid)
    pids = [int(p) for p in parent.stdout.readline().split()]
    reaper.extend(pids)
    assert len(pids) == 4 and not any(gone(p) for p in pids)
    parent.kill()
    parent.wait(timeout=10)
    wait_until(lambda: all(gone(p) for p in pids), timeout=15,
               what=lambda: f"every child to die; left: {[p for p in pids if not gone(p)]}")
