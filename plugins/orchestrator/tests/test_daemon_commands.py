"""kin daemon stop|start|restart from another terminal, against a real running team."""
from __future__ import annotations

import json

from shadeos_core.processes import process_matches
from shadeos_core.testing import TeamRun, wait_for

TEAM = """[team]
cycle = "0.1s"
[daemons.worker]
type = "command"
command = ["true"]
every = "0.2s"
restart = "always"
[daemons.other]
type = "command"
command = ["true"]
every = "0.2s"
"""


def test_stop_start_and_restart_one_daemon_while_the_team_goes_on(project, write, kin):
    write("teams/t.toml", TEAM)
    run = TeamRun(project, "t")
    try:
        first = wait_for(lambda: (d := run.daemon("worker")) and d["state"] == "RUNNING" and d, 30, lambda: run.output)
        proc = kin("daemon", "stop", "worker", cwd=project)
        assert proc.returncode == 0 and "t.worker: stop taken by the orchestrator" in proc.stdout, proc.stderr
        wait_for(lambda: run.daemon("worker")["state"] == "STOPPED", 30, lambda: run.output)
        assert not process_matches(first["pid"], first["pid_started"])
        assert run.daemon("worker")["held"] is True and run.daemon("other")["state"] == "RUNNING"
        assert "stopped by request" in run.output

        proc = kin("daemon", "start", "worker", "--json", cwd=project)
        assert json.loads(proc.stdout)[0] | {"state": None} == {"team": "t", "daemon": "worker", "action": "start",
                                                                "taken": True, "state": None}
        second = wait_for(lambda: (d := run.daemon("worker")) and d["state"] == "RUNNING" and d, 30,
                          lambda: run.output)
        assert second["pid"] != first["pid"]

        assert kin("daemon", "restart", "worker", cwd=project).returncode == 0
        third = wait_for(lambda: (d := run.daemon("worker")) and d["state"] == "RUNNING" and d["pid"] != second["pid"]
                         and d, 30, lambda: run.output)
        assert third["restarts"] == 1 and not process_matches(second["pid"], second["pid_started"])
        assert "restarted by request" in run.output
    finally:
        assert run.stop() == 0, run.output


def test_what_cannot_be_asked_is_one_line(project, write, kin):
    write("teams/t.toml", TEAM)
    proc = kin("daemon", "stop", "worker", cwd=project)
    assert proc.returncode == 2 and "no team is running" in proc.stderr and "Traceback" not in proc.stderr
    run = TeamRun(project, "t")
    try:
        wait_for(lambda: (d := run.daemon("worker")) and d["state"] == "RUNNING", 30, lambda: run.output)
        proc = kin("daemon", "restart", "wroker", cwd=project)
        assert proc.returncode == 2 and "no daemon 'wroker'" in proc.stderr and "'worker'" in proc.stderr
        proc = kin("daemon", "stop", "worker", "--team", "nope", cwd=project)
        assert proc.returncode == 2 and "no team named 'nope'" in proc.stderr
        assert not list((project / ".kin" / "run" / "control").glob("*/*.json"))  # nothing was queued
    finally:
        assert run.stop() == 0, run.output
