"""Fixtures of the ray plugin's tests: one real Ray cluster of three nodes per test module, on this machine
(helpers live in ray_testkit)."""
from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ray_testkit import RayCluster, alive, ray_missing, wait_for  # noqa: E402


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayCluster]:
    missing = ray_missing()
    if missing:
        pytest.skip(missing)
    state = tmp_path_factory.mktemp("ray") / "cluster.json"
    log = open(state.with_suffix(".log"), "wb")
    host = subprocess.Popen([sys.executable, str(HERE / "cluster_host.py"), str(state)], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    nodes = [host]
    try:
        wait_for(lambda: state.exists() or host.poll() is not None, 180, "the Ray cluster to start")
        if not state.exists():
            raise AssertionError("the Ray cluster did not start:\n" + state.with_suffix(".log").read_text()[-3000:])
        data = json.loads(state.read_text())
        nodes += psutil.Process(host.pid).children(recursive=True)
        yield RayCluster(data["address"], data["dashboard"], data["head"], data["node_b"], data["node_c"], host)
    finally:
        host.send_signal(signal.SIGTERM)
        try:
            host.wait(60)
        except subprocess.TimeoutExpired:
            host.kill()
            host.wait()
    # Ray's shutdown returns while its last workers may still be exiting: give them a moment, on a busy machine
    with contextlib.suppress(AssertionError):
        wait_for(lambda: not any(alive(p) for p in nodes[1:]), 20, "the cluster's processes to exit")
    survivors = [p for p in nodes[1:] if alive(p)]
    for proc in survivors:
        proc.kill()
    assert not survivors, f"processes of the cluster outlived it: {[p.pid for p in survivors]}"


@pytest.fixture
def ray_project(project: Path, ray_cluster: RayCluster) -> Path:
    """A workspace whose kin.toml points at the module's cluster."""
    (project / "kin.toml").write_text(f'[ray]\naddress = "{ray_cluster.address}"\nconnect_timeout = "60s"\n'
                                      'stop_grace = "2s"\n')
    return project
