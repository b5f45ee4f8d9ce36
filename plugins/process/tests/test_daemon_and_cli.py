"""The ``command`` daemon type in a real runner, and kin ps / kill / logs / the janitor across processes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from shadeos_core import Kernel
from shadeos_core.runner import runner_argv


def test_command_daemon_reports_each_cycle_in_its_luciorbe(project, write, reaper, wait_until):
    write("teams/ci.toml", """
        [team]
        name = "ci"
        [daemons.check]
        type = "command"
        command = ["sh", "-c", "echo cycle-output; echo $GREETING; exit 3"]
        env = { GREETING = "hello from env" }
        timeout = "30s"
        every = "1h"
    """)
    runner = subprocess.Popen(runner_argv("ci", "check", cwd=str(project)), cwd=project, start_new_session=True,
                              stderr=subprocess.PIPE, text=True)
    reaper.append(runner.pid)
    luciorbe = project / ".luciorbe.ci.check"
    try:
        def reported():
            try:
                data = json.loads(luciorbe.read_text())
            except (OSError, ValueError):
                return None
            return data if data.get("progress", "").startswith("exit") else None

        data = wait_until(reported, timeout=30, what="a finished cycle in the luciorbe")
        assert data["progress"].startswith("exit 3 in ")
        assert data["notes"] == "cycle-output\nhello from env"
        assert data["task"].startswith("run sh -c")
        assert data["pid"] == runner.pid
    finally:
        os.kill(runner.pid, signal.SIGTERM)
        assert runner.wait(timeout=20) == 0, runner.stderr.read()
    assert not luciorbe.exists()


def test_command_daemon_emits_a_command_event(project, write):
    write("teams/ci.toml", """
        [team]
        name = "ci"
        [daemons.check]
        type = "command"
        command = ["sh", "-c", "echo one; echo two >&2"]
        mode = "monitored"
    """)
    heard = []

    class Listener:
        from shadeos_core import hookimpl

        @hookimpl
        def daemon_event(self, event):
            heard.append(event)

    kernel = Kernel.load(project, extra=[("listener", Listener())])
    team = kernel.teams().get("ci")
    daemon = kernel.daemon_types["command"](team.member("check"), team, kernel)
    daemon.setup()
    result = daemon.cycle([])
    assert result.status == "ok" and result.notes == "one\ntwo"
    assert kernel.flush_events()  # events reach listeners on the kernel's event thread
    events = [e for e in heard if e.kind == "command"]
    assert len(events) == 1 and events[0].daemon_id == "ci.check"
    assert events[0].data["returncode"] == 0 and events[0].data["timed_out"] is False


def test_bad_command_daemon_options_are_config_errors(project, write, kin):
    write("teams/ci.toml", """
        [team]
        name = "ci"
        [daemons.check]
        type = "command"
        command = "pytest"
    """)
    proc = kin("check", cwd=project)
    assert proc.returncode != 0
    assert "teams/ci.toml" in proc.stdout + proc.stderr and "daemons.check.command" in proc.stdout + proc.stderr


def test_ps_kill_logs_and_janitor_from_other_kin_processes(project, kin, reaper, gone, wait_until):
    held = subprocess.Popen([sys.executable, "-m", "shadeos_core", "exec", "--mode", "background", "--name", "ticker",
                             "--owner", "ci.check", "--", "sh", "-c", "echo started; echo oops >&2; sleep 300"],
                            cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    reaper.append(held.pid)
    try:
        rows = wait_until(lambda: json.loads(kin("ps", "--json", cwd=project, check=True).stdout), what="kin ps")
        assert len(rows) == 1
        row = rows[0]
        reaper.append(row["pid"])
        assert (row["name"], row["owner"], row["command"][:2], row["state"]) == ("ticker", "ci.check",
                                                                                 ["sh", "-c"], "running")
        wait_until(lambda: "oops" in kin("logs", "ticker", cwd=project).stdout, what="the log")
        logs = kin("logs", "ticker", cwd=project, check=True).stdout.splitlines()
        assert "ticker.out: started" in logs and "ticker.err: oops" in logs
        missing = kin("logs", "nobody", cwd=project)
        assert missing.returncode == 2 and "no logs named 'nobody'" in missing.stderr
        killed = json.loads(kin("kill", "--tree", "--json", "ticker", cwd=project, check=True).stdout)
        assert killed[0]["pid"] == row["pid"] and killed[0]["survivors"] == []
        assert gone(row["pid"])
        assert held.wait(timeout=20) == 128 + signal.SIGTERM
        again = kin("kill", str(row["pid"]), cwd=project)
        assert again.returncode == 1 and again.stderr.strip() == f"kin: error: no process with pid {row['pid']} (see kin ps)"
    finally:
        held.kill()
    # a record whose process is gone: the janitor removes it
    records = project / ".kin" / "run" / "processes"
    stale = {"schema": 1, "pid": 2 ** 22 - 3, "create_time": 1.0, "name": "ghost", "command": ["x"], "mode": "background"}
    (records / "ghost.json").write_text(json.dumps(stale))
    kernel = Kernel.load(project)
    janitor = kernel.janitors["processes"](kernel.workspace)
    found = {c.path: c.state for c in janitor.scan()}
    assert found[".kin/run/processes/ghost.json"] == "gone"
    cleaned = janitor.clean()
    assert ".kin/run/processes/ghost.json" in [c.path for c in cleaned]
    assert not (records / "ghost.json").exists()
