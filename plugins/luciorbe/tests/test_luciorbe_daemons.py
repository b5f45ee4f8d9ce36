"""Real daemon processes: a daemon's own luciorbes vanish on SIGTERM; the janitor meta-daemon runs every janitor."""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from luciorbe_testkit import HERE, plant, wait_for

from shadeos_core.workspace import Workspace
from shadeos_luciorbe.janitor import LuciorbeJanitor

DEAD_PID = 2**22 + 13


def runner_env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "KIN_PLUGINS": "luciorbe_testdaemons"}


def start_runner(procs, project: Path, team: str, daemon: str):
    return procs.start([sys.executable, "-m", "shadeos_core.runner", "--team", team, "--daemon", daemon],
                       cwd=project, env=runner_env())


def test_a_daemons_own_luciorbes_vanish_on_sigterm(project: Path, write, procs) -> None:
    write("teams/t.toml", """
        [team]
        name = "t"
        [daemons.worker]
        type = "luciorbe-worker"
        every = "20ms"
        heartbeat = "50ms"
        dirs = ["src", "docs/api"]
    """)
    for sub in ("src", "docs/api"):
        (project / sub).mkdir(parents=True)
    proc = start_runner(procs, project, "t", "worker")
    expected = {".luciorbe.t.worker", "src/.luciorbe.t.worker", "docs/api/.luciorbe.t.worker"}

    def seen() -> dict[str, str]:
        states = {c.path: c.state for c in LuciorbeJanitor(Workspace(project)).scan()}
        return states if set(states) == expected else {}

    states = wait_for(seen, what="the worker's luciorbes")
    assert set(states.values()) == {"alive"}, states
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else ""
    assert not any((project / p).exists() for p in expected)
    assert not (project / ".kin" / "run" / "luciorbes" / "t.worker.json").exists()


def test_the_janitor_meta_daemon_runs_every_janitor_and_walks_less_often(project: Path, write, procs) -> None:
    write("teams/t.toml", """
        [team]
        name = "t"
        [meta.janitor]
        every = "100ms"
        walk_every = "1h"
    """)
    leftover = plant(project / "src", "t.crashed", pid=DEAD_PID, pid_started=1.0)  # nobody recorded it
    proc = start_runner(procs, project, "t", "janitor")
    probe = project / ".kin" / "state" / "probe.jsonl"

    def probe_calls() -> list[dict]:
        lines = probe.read_text().splitlines() if probe.exists() else []
        return [json.loads(line) for line in lines] if len(lines) >= 3 else []

    calls = wait_for(probe_calls, what="three janitor cycles")
    assert not leftover.exists()  # the first cycle walked the tree and removed it
    assert calls[0]["full"] is True and all(c["full"] is False for c in calls[1:])
    # the broken janitor did not stop the others, and the cycle says which one failed
    home = project / ".luciorbe.t.janitor"
    notes = wait_for(lambda: home.exists() and json.loads(home.read_text()).get("notes"), what="cycle notes")
    assert "broken-probe" in notes and "broken on purpose" in notes
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else ""
    assert not (project / ".luciorbe.t.janitor").exists()
