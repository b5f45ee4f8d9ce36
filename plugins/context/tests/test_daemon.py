"""The `context` meta-daemon in its own process: it expires entries and persists through the triggers."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from shadeos_context import MidTermContext
from shadeos_core import Workspace
from shadeos_core.testing import wait_for


def test_meta_daemon_expires_and_persists_then_stops_cleanly(project: Path, write, stub_env, stub, kin) -> None:
    write("kin.toml", "[context]\nsize_threshold = 2\n")
    write("teams/upkeep.toml", """
        [team]
        name = "upkeep"
        [meta.context]
        every = "200ms"
    """)
    shown = json.loads(kin("teams", "show", "upkeep", "--json", cwd=project, check=True).stdout)
    assert shown["meta"][0]["type"] == "context"

    ctx = MidTermContext.open(project)
    ctx.store_context("upkeep.worker", "task_states", {"parse": {"status": "running"}})
    ctx.store_context("upkeep.worker", "daemon_patterns", {"style": "terse"})
    short = project / ".kin/context/upkeep.worker/recent_interactions.json"
    proc = subprocess.Popen([sys.executable, "-m", "shadeos_core.runner", "--team", "upkeep", "--daemon", "context"],
                            cwd=project, env={**os.environ, **stub_env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        workspace = Workspace(project)
        # Two entries reach the size threshold: the daemon archives both.
        wait_for(lambda: len(stub.records(workspace)) == 2)
        ctx.store_context("upkeep.worker", "recent_interactions", {"with": "upkeep.other"}, ttl=0.3)
        wait_for(lambda: not short.exists())  # the short-lived one expires and the daemon deletes it
        assert ctx.retrieve_context("upkeep.worker", "daemon_patterns") == {"style": "terse"}
        time.sleep(0.5)  # a few more cycles: still over the threshold, but it fired already
        assert sorted(r["metadata"]["context_type"] for r in stub.records(workspace)) == [
            "daemon_patterns", "task_states"]
        assert all(r["metadata"]["trigger"] == "size_threshold" for r in stub.records(workspace))
        assert (project / ".luciorbe.upkeep.context").exists()
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert not (project / ".luciorbe.upkeep.context").exists()
    log = (project / ".kin/logs/upkeep.context.log").read_text()
    assert "size_threshold" in log
