"""A team whose daemons run on the cluster: supervised like local ones, restarted when their worker or node dies,
and nothing left anywhere after Ctrl+C."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from ray_testkit import RayCluster, gone, kin_commands, wait_for

from shadeos_core.testing import TeamRun

CYCLE = "import os; print('cycle on', os.environ['KIN_RAY_NODE_ID'], flush=True)"


def team_file(project: Path, name: str, resource: str) -> None:
    (project / "teams").mkdir(exist_ok=True)
    (project / "teams" / f"{name}.toml").write_text(f"""
[team]
name = "{name}"
cycle = "0.2s"

[daemons.checker]
type = "command"
mode = "ray"
resources = {{ {resource} = 1 }}
command = [{json.dumps(sys.executable)}, "-c", {json.dumps(CYCLE)}]
every = "1s"
heartbeat = "0.5s"
start_seconds = "0.5s"
start_retries = 5
stop_timeout = "10s"
""")


def running_remote(run: TeamRun, node: str, previous: str | None = None) -> Any:
    def ready() -> Any:
        d = run.daemon("checker")
        if not d or d["state"] != "RUNNING" or not d.get("place") or d["place"] == previous:
            return None
        place = json.loads((run.project / ".kin" / "run" / "places" / f"{d['pid']}.json").read_text())
        return place if place["node"] == node else None

    return wait_for(ready, 90, lambda: f"the daemon to run on node {node[:8]}; state: {run.daemon('checker')}\n"
                                        f"{run.output[-2000:]}")


def described(procs: list[Any]) -> list[str]:
    out = []
    for proc in procs:
        with contextlib.suppress(Exception):
            out.append(f"{proc.pid} {proc.status()} ppid {proc.ppid()} {' '.join(proc.cmdline())[:200]}")
    return out


def assert_nothing_left(ray_cluster: RayCluster, places: list[dict[str, Any]]) -> None:
    wait_for(lambda: not ray_cluster.live_actors(), 30, lambda: f"no actor alive: {ray_cluster.live_actors()}")
    wait_for(lambda: not ray_cluster.live_tasks(), 30, lambda: f"no task running: {ray_cluster.live_tasks()}")
    wait_for(lambda: not kin_commands(), 30, lambda: f"no process kin started on a node: {described(kin_commands())}")
    for place in places:
        wait_for(lambda place=place: gone(place["worker_pid"]) and gone(place["remote_pid"]), 30,
                 "the remote runner and its worker to end")


def test_a_ray_command_daemon_is_supervised_restarted_when_its_worker_dies_and_leaves_nothing(
        kin, ray_project: Path, ray_cluster: RayCluster) -> None:
    team_file(ray_project, "remote", "node_b")
    run = TeamRun(ray_project, "remote")
    try:
        first = running_remote(run, ray_cluster.node_b)
        log = ray_project / ".kin" / "logs" / "remote.checker.log"
        wait_for(lambda: log.exists() and f"cycle on {ray_cluster.node_b}" in log.read_text(), 60,
                 "the command's output in the daemon's log")
        status = kin("status", cwd=ray_project, env={"COLUMNS": "250"}).stdout
        assert "place" in status and first["where"] in status
        assert json.loads(kin("status", "--json", cwd=ray_project).stdout)["daemons"][0]["place"] == first["where"]

        os.kill(first["worker_pid"], signal.SIGKILL)  # the remote worker dies under the daemon
        second = running_remote(run, ray_cluster.node_b, previous=first["where"])
        assert second["actor_id"] != first["actor_id"]
        daemon = run.daemon("checker")
        assert daemon is not None and daemon["restarts"] >= 1
        assert any("exited with 1" in line for line in run.state()["events"]), run.state()["events"]  # type: ignore[index]
        assert "the Ray worker running remote.checker died" in (ray_project / ".kin/logs/remote.checker.err").read_text()
        assert run.stop() == 0
    finally:
        if run.proc.poll() is None:
            run.kill_everything()
    assert_nothing_left(ray_cluster, [first, second])


def test_a_node_that_dies_is_a_crash_the_supervisor_handles(ray_project: Path, ray_cluster: RayCluster) -> None:
    team_file(ray_project, "edge", "node_c")
    run = TeamRun(ray_project, "edge")
    try:
        place = running_remote(run, ray_cluster.node_c)
        ray_cluster.kill_node_c()
        wait_for(lambda: (run.daemon("checker") or {}).get("restarts", 0) >= 1, 60,
                 lambda: f"the supervisor to restart the daemon; state: {run.daemon('checker')}")
        assert "the Ray worker running edge.checker died" in (ray_project / ".kin/logs/edge.checker.err").read_text()
        assert run.stop() == 0  # its next start waits for a node with node_c: a stop ends that wait too
    finally:
        if run.proc.poll() is None:
            run.kill_everything()
    assert_nothing_left(ray_cluster, [place])
