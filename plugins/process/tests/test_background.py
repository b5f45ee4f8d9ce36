"""The ``background`` execution mode as a supervisor uses it: run, poll, stop, logs, records."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from shadeos_core import CommandSpec, Kernel


def test_background_run_poll_stop_and_logs(project, reaper, gone, wait_until):
    kernel = Kernel.load(project)
    mode = kernel.execution_modes["background"](kernel.workspace)
    code = "import sys, time; print('to out', flush=True); print('to err', file=sys.stderr, flush=True); time.sleep(60)"
    result = mode.run(CommandSpec([sys.executable, "-c", code], env={"KIN_PARENT_PID": str(os.getpid())}))
    reaper.append(result.pid)
    assert result.returncode is None
    assert os.getsid(result.pid) == result.pid  # its own session
    assert mode.poll(result.pid) is None
    out_log = project / ".kin" / "logs" / f"python-{result.pid}.out"
    wait_until(lambda: out_log.exists() and "to out" in out_log.read_text(), what="stdout in the log")
    err_log = project / ".kin" / "logs" / f"python-{result.pid}.err"
    wait_until(lambda: "to err" in err_log.read_text(), what="stderr in the log")
    assert "to err" not in out_log.read_text()
    record = json.loads((project / ".kin" / "run" / "processes" / f"{result.pid}.json").read_text())
    assert record["pid"] == result.pid and record["command"][0] == sys.executable
    assert record["stdout_log"] == str(out_log)
    assert mode.stop(result.pid, timeout=5) == -15
    assert gone(result.pid)
    assert mode.poll(result.pid) == -15
    wait_until(lambda: result.returncode == -15, what="the result filled in")


def test_poll_and_stop_from_another_process_use_the_record(project, reaper, gone, wait_until):
    starter = textwrap.dedent(f"""
        import sys, time
        from shadeos_core import CommandSpec, Kernel
        k = Kernel.load({str(project)!r})
        r = k.execution_modes["background"](k.workspace).run(CommandSpec(["sleep", "60"], name="napper"))
        print(r.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    reaper.append(parent.pid)
    try:
        pid = int(parent.stdout.readline())
        reaper.append(pid)
        kernel = Kernel.load(project)
        mode = kernel.execution_modes["background"](kernel.workspace)
        assert mode.poll(pid) is None
        assert (project / ".kin" / "logs" / "napper.out").exists()
        mode.stop(pid, timeout=5)
        wait_until(lambda: gone(pid), what="the sleep to end")
        assert mode.poll(pid) is not None
    finally:
        parent.kill()
        parent.wait()
