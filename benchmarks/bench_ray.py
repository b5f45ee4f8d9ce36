"""Ray plugin: start-to-first-output of a command through the ``ray`` mode, and throughput across the cluster.

A real cluster of two nodes on this machine (head, and a worker with a custom
resource), started by the benchmark. Figures beside baselines of the same run:

- start to first output of ``echo`` through the ``ray`` mode (a local proxy
  that connects, places an actor, starts the command there and copies its
  output to ``.kin/logs/``) beside the same command through the local
  ``blocking`` mode and beside a bare Ray task from an already connected driver;
- throughput of short commands across the cluster (:func:`shadeos_ray.run_batch`,
  a Ray task each) beside a local process pool as wide as the machine.

Run: ``python benchmarks/run.py ray [--quick] [--json]``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import alternate_batches, report

from shadeos_core.execution import CommandSpec
from shadeos_core.workspace import Workspace
from shadeos_process import execute_command
from shadeos_ray import RayMode, RaySettings, run_batch

STORE = 80 * 2**20


def _first_output(workspace: Workspace, n: int) -> list[float]:
    out = []
    for i in range(n):
        logs = workspace.kin_dir / "logs"
        name = f"bench-{time.monotonic_ns()}-{i}"
        start = time.perf_counter()
        result = RayMode(workspace).run(CommandSpec(["echo", "hi"], cwd=str(workspace.root), name=name,
                                                    resources={"bench_node": 1}))
        log = logs / f"{name}.out"
        while not (log.exists() and log.stat().st_size):
            time.sleep(0.002)
        out.append(time.perf_counter() - start)
        from shadeos_process import wait_for_process

        assert wait_for_process(result.pid).returncode == 0
    return out


def _blocking(workspace: Workspace, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        result = execute_command(["echo", "hi"], workspace=workspace)
        out.append(time.perf_counter() - start)
        assert result.stdout == "hi\n"
    return out


def _bare_task(ray: object, task: object, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        code, stdout, _err, _node = ray.get(task.remote(["echo", "hi"], None, None))  # type: ignore[attr-defined]
        out.append(time.perf_counter() - start)
        assert stdout == "hi\n" and code == 0
    return out


def _throughput(settings: RaySettings, count: int, rounds: int) -> list[dict]:
    commands = [["true"]] * count

    def across(n: int) -> list[float]:
        start = time.perf_counter()
        results = run_batch(commands, settings)
        assert all(r.returncode == 0 for r in results)
        return [(time.perf_counter() - start) / count]

    def pool(n: int) -> list[float]:
        start = time.perf_counter()
        with ThreadPoolExecutor(os.cpu_count() or 2) as executor:
            codes = list(executor.map(lambda argv: subprocess.run(argv).returncode, commands))
        assert not any(codes)
        return [(time.perf_counter() - start) / count]

    paired = alternate_batches(across, pool, rounds, 1)
    return [paired.row(f"{count} short commands across the cluster, per command", "local process pool")]


def main(as_json: bool = False, quick: bool = False) -> None:
    import ray
    from ray.cluster_utils import Cluster

    from shadeos_ray.host import run_to_end

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": STORE,
                                                            "include_dashboard": False})
    cluster.add_node(num_cpus=1, resources={"bench_node": 1}, object_store_memory=STORE)
    cluster.wait_for_nodes()
    try:
        with tempfile.TemporaryDirectory() as root:
            Path(root, "kin.toml").write_text(f'[ray]\naddress = "{cluster.address}"\n')
            workspace = Workspace(root)
            settings = RaySettings.from_workspace(workspace)
            ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
            task = ray.remote(run_to_end).options(resources={"bench_node": 1}, num_cpus=0)
            _bare_task(ray, task, 3)  # warm: a worker process on the node
            rounds, per_round = (3, 2) if quick else (5, 4)
            ray_vs_blocking = alternate_batches(lambda n: _first_output(workspace, n),
                                                lambda n: _blocking(workspace, n), rounds, per_round)
            ray_vs_task = alternate_batches(lambda n: _first_output(workspace, n),
                                            lambda n: _bare_task(ray, task, n), rounds, per_round)
            rows = [ray_vs_blocking.row("ray mode: start to first output of echo", "blocking mode"),
                    ray_vs_task.row("  same", "bare Ray task (connected driver)")]
            rows += _throughput(settings, 100 if quick else 1000, 2 if quick else 3)
    finally:
        ray.shutdown()
        cluster.shutdown()
    report("ray", rows, as_json=as_json)


if __name__ == "__main__":
    main(as_json="--json" in sys.argv, quick="--quick" in sys.argv)
