"""Plugin code is untrusted for the kernel's liveness: listeners that exit, raise or hang, checks that try to
decide kin check's outcome by exiting or hanging, and a third-party plugin taking a builtin's name."""
from __future__ import annotations

import json
import os
import signal

import pytest
from chaos_kit import chaos_env, install_dist

from shadeos_core.testing import TeamRun, team_processes, wait_for

TEAM = """[team]
cycle = "0.2s"
stop_timeout = "5s"
[daemons.tick]
type = "recorder"
every = "0.3s"
heartbeat = "0.5s"
start_seconds = "0.3s"
"""


@pytest.mark.parametrize("how", ["exit", "interrupt", "raise", "hang"])
def test_a_misbehaving_event_listener_never_stops_supervision(project, write, how):
    write("teams/t.toml", TEAM)
    run = TeamRun(project, "t", chaos_env("sampledaemons", "chaos_listeners", KIN_CHAOS_LISTENER=how))
    try:
        first = wait_for(lambda: (d := run.daemon("tick")) and d["state"] == "RUNNING" and d, 60, "tick RUNNING")
        os.kill(first["pid"], signal.SIGKILL)  # supervision must go on: the killed daemon comes back
        wait_for(lambda: (d := run.daemon("tick")) and d["state"] == "RUNNING" and d["pid"] != first["pid"], 60,
                 lambda: f"tick restarted while the listener misbehaves ({how})\n{run.output}")
        assert run.proc.poll() is None
        if how != "hang":
            # reported once, in one line naming the plugin, however many events failed
            assert run.output.count("plugin 'chaos_listeners': its daemon_event hook failed") == 1, run.output
    finally:
        code = run.stop(timeout=60)
    assert code == 0, run.output
    assert team_processes(project) == []


@pytest.mark.parametrize("how, problem", [
    ("exit0", "check failed: SystemExit: 0"),
    ("os_exit0", "check exited (code 0) without reporting"),
    ("interrupt", "check failed: KeyboardInterrupt"),
    ("kill", "check died of signal SIGKILL without reporting"),
    ("hang", "check did not finish within 1s (stopped)"),
])
def test_a_check_can_never_decide_kin_checks_outcome_by_exiting_or_hanging(project, kin, how, problem):
    proc = kin("check", "--json", "--timeout", "1", cwd=project, env=chaos_env("chaos_checks", KIN_CHAOS_CHECK=how))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    findings = json.loads(proc.stdout)
    assert {"level": "error", "check": "chaos", "message": problem}.items() <= \
        next(f for f in findings if f["check"] == "chaos").items()
    behaved = kin("check", "--json", cwd=project, env=chaos_env("chaos_checks"))
    assert behaved.returncode == 0 and any(f["message"] == "behaved" for f in json.loads(behaved.stdout))


def test_a_third_party_plugin_can_never_take_a_builtin_name_whatever_the_load_order(project, kin, tmp_path):
    env = install_dist(tmp_path / "site", "aaa-usurper", "aaa", "aaa_usurper")
    plugins = {p["name"]: p for p in json.loads(kin("plugins", "--json", cwd=project, env=env, check=True).stdout)}
    assert plugins["process"]["loaded"] is True
    assert (plugins["aaa"]["loaded"], plugins["aaa"]["error"]) == (
        False, "daemon type 'command' is already registered by 'process'")
    proc = kin("plugins", cwd=project, env=env)
    assert ("plugin 'aaa' (from aaa-usurper) was not loaded: daemon type 'command' is already registered by "
            "'process'") in proc.stderr
    env2 = install_dist(tmp_path / "site2", "evil-map", "map", "aaa_usurper")
    proc = kin("plugins", "--json", cwd=project, env=env2)
    listed = {(p["name"], p["dist"]): p["loaded"] for p in json.loads(proc.stdout)}
    assert listed[("map", "shadeos-map")] is True and listed[("map", "evil-map")] is False
    assert "plugin 'map' (from evil-map) was not loaded: another installed plugin already has this name" in proc.stderr
