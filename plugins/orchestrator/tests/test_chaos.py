"""Chaos: a team of 10 daemons for 60 s while children are killed at random 50 times."""
from __future__ import annotations

import json
import os
import random
import signal
import time

import pytest
from orchestrator_testkit import luciorbes, team_processes, team_toml, wait_for

NAMES = [f"d{i}" for i in range(10)]


@pytest.mark.slow
def test_random_kills_for_a_minute_leave_a_running_team_and_nothing_stray(project, write, run_team):
    write("teams/t.toml", team_toml(team={"flap_restarts": 1000}, daemons={n: {"type": "sleeper"} for n in NAMES}))
    run = run_team("t")
    run.wait_all_running(NAMES, timeout=60)
    rng = random.Random(5)
    kills, end = 0, time.monotonic() + 60
    while time.monotonic() < end:
        if kills < 50:
            victims = [d for d in (run.state() or {}).get("daemons", []) if d["state"] == "RUNNING" and d["pid"]]
            if victims:
                victim = rng.choice(victims)
                try:
                    os.kill(victim["pid"], signal.SIGKILL)
                    kills += 1
                except ProcessLookupError:
                    pass
        time.sleep(60 / 55)
    assert kills == 50
    final = {n: run.wait_state(n, "RUNNING", timeout=60, heartbeat_age=lambda a: a is not None) for n in NAMES}
    assert sum(d["restarts"] for d in final.values()) >= 50
    pids = {d["pid"] for d in final.values()}
    assert {p.pid for p in team_processes(project)} == pids  # no orphan from a killed incarnation

    def owners() -> set[int]:
        found = set()
        for path in luciorbes(project):
            try:
                found.add(json.loads(path.read_text())["pid"])
            except (OSError, ValueError):
                pass
        return found

    wait_for(lambda: owners() <= pids, what="luciorbes of killed daemons to be removed")
    run.signal(signal.SIGINT)
    assert run.wait_exit() == 0
    assert team_processes(project) == [] and luciorbes(project) == []
