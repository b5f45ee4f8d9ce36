"""Supervision in real processes: start, restart, give up, refuse a second run, stop cleanly."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import psutil
from orchestrator_testkit import child_env, luciorbes, team_processes, team_toml, wait_for


def test_team_of_daemons_and_meta_daemons_reaches_running_and_reports_status(project, write, run_team, kin):
    write("teams/t.toml", team_toml(meta={"watcher": {}}, daemons={"a": {"type": "sleeper"}, "b": {"type": "sleeper"}}))
    run = run_team("t")
    daemons = run.wait_all_running(["watcher", "a", "b"])
    pids = {d["pid"] for d in daemons.values()}
    assert len(pids) == 3 and all(psutil.pid_exists(p) for p in pids)
    status = kin("status", "--json", cwd=project, env=child_env())
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["team"] == "t" and data["pid"] == run.proc.pid and data["running"] is True
    assert {d["name"]: d["state"] for d in data["daemons"]} == {"watcher": "RUNNING", "a": "RUNNING", "b": "RUNNING"}
    assert all(d["restarts"] == 0 and d["pid"] in pids for d in data["daemons"])
    assert "RUNNING (pid" in run.output and "\x1b[" not in run.output  # not a terminal: plain lines


def test_sigkill_of_a_daemon_restarts_it_with_a_new_pid(project, write, run_team):
    write("teams/t.toml", team_toml(daemons={"a": {"type": "sleeper"}, "b": {"type": "sleeper"}}))
    run = run_team("t")
    first = run.wait_all_running(["a", "b"])
    os.kill(first["a"]["pid"], signal.SIGKILL)
    again = run.wait_state("a", "RUNNING", pid=lambda pid: pid not in (None, first["a"]["pid"]))
    assert again["restarts"] == 1
    assert run.daemon("b")["pid"] == first["b"]["pid"]  # the others are untouched
    assert "restarting" in run.output


def test_a_daemon_that_exits_at_once_ends_fatal_after_its_retries(project, write, run_team):
    write("teams/t.toml", team_toml(daemons={"q": {"type": "quitter", "start_retries": 2, "start_seconds": '"3s"'},
                                             "a": {"type": "sleeper"}}))
    run = run_team("t")
    fatal = run.wait_state("q", "FATAL", timeout=40)
    assert fatal["start_failures"] == 3 and fatal["pid"] is None
    assert "exited too quickly 3 times" in fatal["reason"]
    assert run.daemon("a")["state"] == "RUNNING"
    assert run.output.count("q: BACKOFF") == 2


def test_a_crash_loop_after_running_ends_fatal(project, write, run_team):
    write("teams/t.toml", team_toml(team={"flap_restarts": 3, "flap_window": '"60s"'},
                                    daemons={"c": {"type": "crasher", "after": 1.5}}))
    run = run_team("t")
    fatal = run.wait_state("c", "FATAL", timeout=60)
    assert fatal["restarts"] == 3 and "flapping" in fatal["reason"]
    assert run.output.count("c: RUNNING") == 4  # it did run each time: this is not a failed start


def test_a_second_run_of_the_same_team_is_refused(project, write, run_team, kin):
    write("teams/t.toml", team_toml(daemons={"a": {"type": "sleeper"}}))
    run = run_team("t")
    run.wait_state("a", "RUNNING")
    second = kin("t", cwd=project, env=child_env(), timeout=60)
    assert second.returncode != 0
    assert "already running" in second.stderr and f"pid {run.proc.pid}" in second.stderr
    assert len(team_processes(project)) == 1  # the refused run started nothing


def test_ctrl_c_stops_everything_and_leaves_no_luciorbe(project, write, run_team):
    write("teams/t.toml", team_toml(meta={"watcher": {}}, daemons={"a": {"type": "sleeper"}, "b": {"type": "claimer",
                                                                                                     "file": "x.py"}}))
    (project / "src").mkdir()
    run = run_team("t")
    run.wait_all_running(["watcher", "a", "b"])
    wait_for(lambda: len(luciorbes(project)) >= 3, what="luciorbes")
    run.signal(signal.SIGINT)
    assert run.wait_exit() == 0, run.output
    assert team_processes(project) == []
    assert luciorbes(project) == []
    assert not (project / ".kin" / "run" / "teams" / "t.json").exists()
    assert "team t stopped" in run.output


def test_a_second_ctrl_c_kills_at_once(project, write, run_team):
    write("teams/t.toml", team_toml(team={"stop_timeout": '"100s"'},
                                    daemons={"s": {"type": "stubborn", "hang": 120, "stop_timeout": '"100s"'}}))
    run = run_team("t")
    # RUNNING once alive for start_seconds; its own stop handling is in place once its first cycle is done
    run.wait_state("s", "RUNNING", status=lambda status: status == "waiting")
    run.signal(signal.SIGINT)
    run.wait_state("s", "STOPPING")
    run.signal(signal.SIGINT)
    assert run.wait_exit(timeout=30) == 0, run.output  # well before the 100 s stop_timeout
    assert team_processes(project) == []
    assert luciorbes(project) == []


def test_kin_stop_from_another_terminal(project, write, run_team, kin):
    write("teams/t.toml", team_toml(daemons={"a": {"type": "sleeper"}}))
    run = run_team("t")
    run.wait_state("a", "RUNNING")
    result = kin("stop", "t", cwd=project, env=child_env())
    assert result.returncode == 0, result.stderr
    assert "team t" in result.stdout and "stopped" in result.stdout
    assert run.wait_exit() == 0
    assert team_processes(project) == [] and luciorbes(project) == []
    nothing = kin("stop", cwd=project, env=child_env())
    assert nothing.returncode == 2 and "no team" in nothing.stderr


def test_sigkill_of_the_orchestrator_takes_children_and_next_start_cleans_up(project, write, run_team):
    write("teams/t.toml", team_toml(daemons={"a": {"type": "sleeper"}, "b": {"type": "sleeper"},
                                             "s": {"type": "stubborn", "hang": 120}}))
    run = run_team("t")
    run.wait_all_running(["a", "b", "s"])
    # Wait until each runner is up (its luciorbe is seen): before that, it has not chosen its own lifeline yet.
    first = {n: run.wait_state(n, "RUNNING", heartbeat_age=lambda age: age is not None) for n in ("a", "b", "s")}
    run.signal(signal.SIGKILL)
    run.wait_exit()
    # a and b die with their parent (their lifeline); s is stuck in its teardown and outlives it.
    def survivors() -> dict[int, str]:
        # the command line as listed: asking again could meet a process that has just become a zombie
        return {p.pid: " ".join(p.info["cmdline"][-4:]) for p in team_processes(project)}

    wait_for(lambda: set(survivors()) == {first["s"]["pid"]} or False, timeout=10,
             what=lambda: f"only the stuck daemon {first['s']['pid']} to outlive the orchestrator; now: {survivors()}")
    assert any(first["s"]["pid"] == p.pid for p in team_processes(project))
    again = run_team("t")
    wait_for(lambda: "leftover" in again.output, what="the leftover to be stopped")
    assert not psutil.pid_exists(first["s"]["pid"]) or psutil.Process(first["s"]["pid"]).status() == psutil.STATUS_ZOMBIE
    again.wait_all_running(["a", "b", "s"])
    again.signal(signal.SIGINT)
    again.wait_exit(timeout=30)


def test_without_a_background_execution_mode_one_clear_line(project, write):
    write("teams/t.toml", team_toml(daemons={"a": {"type": "sleeper"}}))
    proc = subprocess.run([sys.executable, "-m", "shadeos_core", "t"], cwd=project, capture_output=True, text=True,
                          env=child_env(KIN_DISABLE_PLUGINS="process"), timeout=60)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "shadeos-process" in lines[0] and "background" in lines[0]
