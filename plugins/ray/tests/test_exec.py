"""``kin exec --mode ray``: placement by resource, output, timeout, Ctrl+C, ``kin ps``, on a real cluster."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from ray_testkit import RayCluster, gone, kin_commands, wait_for

WHERE = "import os; print('node', os.environ['KIN_RAY_NODE_ID'])"


def test_a_command_runs_on_the_node_whose_custom_resource_it_asks_for(kin, ray_project: Path,
                                                                       ray_cluster: RayCluster) -> None:
    for resource, node in (("node_b", ray_cluster.node_b), ("node_c", ray_cluster.node_c)):
        proc = kin("exec", "--mode", "ray", "--resource", f"{resource}=1", "--", sys.executable, "-c",
                   WHERE + "; import sys; print('to stderr', file=sys.stderr); sys.exit(3)", cwd=ray_project)
        assert proc.returncode == 3, proc.stderr
        assert proc.stdout.strip() == f"node {node}"
        assert "to stderr" in proc.stderr


def test_a_timeout_stops_the_remote_work(kin, ray_project: Path, ray_cluster: RayCluster) -> None:
    marker = ray_project / "remote.pid"
    script = f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); print('started', flush=True); " \
             "time.sleep(120)"
    proc = kin("exec", "--mode", "ray", "--timeout", "5", "--resource", "node_b=1", "--", sys.executable, "-c",
               script, cwd=ray_project)
    assert proc.returncode == 124, proc.stderr
    assert "started" in proc.stdout
    assert "timed out" in proc.stderr
    remote = int(marker.read_text())
    wait_for(lambda: gone(remote), 30, "the remote command to end")
    wait_for(lambda: not ray_cluster.live_actors(), 30, "no actor left alive")


def test_ctrl_c_leaves_no_actor_task_or_process_on_any_node_and_ps_shows_where(kin, ray_project: Path,
                                                                             ray_cluster: RayCluster) -> None:
    argv = [sys.executable, "-m", "shadeos_core", "exec", "--mode", "ray", "--name", "sleeper", "--resource",
            "node_c=1", "--", "sh", "-c", "echo up; sleep 120 & sleep 120; wait"]
    with open(ray_project / "exec.out", "wb") as out:
        exec_proc = subprocess.Popen(argv, cwd=ray_project, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
    try:
        rows = wait_for(lambda: [r for r in json.loads(kin("ps", "--json", cwd=ray_project).stdout)
                                 if r["name"] == "sleeper" and r["place"]], 90, "kin ps to show where it runs")
        place = rows[0]["place"]
        assert place["node"] == ray_cluster.node_c and rows[0]["mode"] == "ray"
        assert place["where"].startswith("node ")
        table = kin("ps", cwd=ray_project, env={"COLUMNS": "250"}).stdout
        assert "WHERE" in table and place["where"][:20] in table
        wait_for(lambda: len(kin_commands()) >= 2, 30, "the remote shell and its sleeps")
        assert {a.actor_id for a in ray_cluster.live_actors()} == {place["actor_id"]}
        exec_proc.send_signal(signal.SIGINT)  # what Ctrl+C sends to the foreground process
        assert exec_proc.wait(60) == 130
    finally:
        if exec_proc.poll() is None:
            exec_proc.kill()
            exec_proc.wait()
    assert "up" in (ray_project / "exec.out").read_text()
    wait_for(lambda: not kin_commands(), 30, "no process of the command left on any node")
    wait_for(lambda: not ray_cluster.live_actors(), 30, "no actor left alive")
    wait_for(lambda: not ray_cluster.live_tasks(), 30, "no task left running")
    wait_for(lambda: gone(place["worker_pid"]), 30, "the actor's worker process to end")
