"""A node that cannot see the workspace (its file system is another one) is said in one line, not a hang or an
obscure failure: a real worker node started in a mount namespace of its own, where the workspace's directory is
hidden under an empty file system."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from ray_testkit import RayCluster, wait_for


def _nodes_with(ray_cluster: RayCluster, resource: str) -> int:
    import ray

    ray.init(address=ray_cluster.address, log_to_driver=False, logging_level="ERROR")
    try:
        return sum(1 for n in ray.nodes() if n["Alive"] and resource in n["Resources"])
    finally:
        ray.shutdown()


@pytest.fixture
def blind_node(ray_project: Path, ray_cluster: RayCluster, tmp_path: Path):
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode:
        pytest.skip("unshare -m (a private mount namespace) is not available here")
    hidden = ray_project.parent  # the node sees an empty directory where the workspace is
    script = (f"mount -t tmpfs kin-elsewhere {hidden} && exec {sys.executable} -m ray.scripts.scripts start "
              f"--address={ray_cluster.address} --num-cpus=1 --resources='{{\"blind\": 1}}' "
              f"--object-store-memory={80 * 2**20} --block")
    with open(tmp_path / "blind.log", "wb") as log:
        node = subprocess.Popen(["unshare", "-m", "sh", "-c", script], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_for(lambda: node.poll() is not None or _nodes_with(ray_cluster, "blind") == 1, 120,
                 lambda: "the blind node to join:\n" + (tmp_path / "blind.log").read_text()[-2000:])
        assert node.poll() is None, (tmp_path / "blind.log").read_text()[-2000:]
        yield node
    finally:
        node.send_signal(signal.SIGTERM)  # ray start --block stops its node's processes on SIGTERM
        try:
            node.wait(60)
        except subprocess.TimeoutExpired:
            import os

            os.killpg(node.pid, signal.SIGKILL)
            node.wait()


def test_a_node_that_cannot_see_the_workspace_is_said_in_one_line(kin, ray_project: Path, blind_node) -> None:
    proc = kin("exec", "--mode", "ray", "--resource", "blind=1", "--", sys.executable, "-c", "print('ran')",
               cwd=ray_project)
    assert proc.returncode == 2 and "ran" not in proc.stdout
    (line,) = [line for line in proc.stderr.splitlines() if line.strip()]
    assert line.startswith("kin: error: node ") and f"cannot see the workspace {ray_project}" in line
    assert "mount the same shared file system at the same path on every node" in line
    # the nodes that share the file system still run it
    assert kin("exec", "--mode", "ray", "--resource", "node_b=1", "--", "true", cwd=ray_project).returncode == 0
