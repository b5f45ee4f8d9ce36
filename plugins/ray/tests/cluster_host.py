"""A Ray cluster of three nodes on this machine for the tests: ``python cluster_host.py STATE_FILE``.

Head (1 CPU, no custom resource), ``node_b`` and ``node_c`` (1 CPU and a custom
resource named after each). Writes ``{"address", "dashboard", "head", "node_b", "node_c"}``
to STATE_FILE once every node is up. SIGUSR1 removes ``node_c`` at once (a
node dying); SIGTERM shuts the whole cluster down and exits.

It runs apart from the test process, so that the test's bookkeeping of the
processes it starts never touches Ray's own.
"""
from __future__ import annotations

import json
import os
import signal
import sys

STORE = 80 * 2**20


def main(state_file: str) -> int:
    from ray.cluster_utils import Cluster

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGUSR1, signal.SIGINT})
    # a dead node is noticed within about two seconds instead of Ray's thirty
    system = {"health_check_period_ms": 500, "health_check_timeout_ms": 500, "health_check_failure_threshold": 3,
              "health_check_initial_delay_ms": 0}
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "object_store_memory": STORE, "include_dashboard": True, "dashboard_port": None,
        "_system_config": system})
    nodes = {name: cluster.add_node(num_cpus=1, resources={name: 1}, object_store_memory=STORE)
             for name in ("node_b", "node_c")}
    cluster.wait_for_nodes()
    state = {"address": cluster.address, "dashboard": f"http://{cluster.head_node.webui_url}",
             "head": cluster.head_node.node_id, "pid": os.getpid(),
             **{name: node.node_id for name, node in nodes.items()}}
    with open(state_file + ".tmp", "w") as handle:
        json.dump(state, handle)
    os.replace(state_file + ".tmp", state_file)
    try:
        while True:
            signum = signal.sigwait({signal.SIGTERM, signal.SIGUSR1, signal.SIGINT})
            if signum != signal.SIGUSR1:
                break
            cluster.remove_node(nodes["node_c"], allow_graceful=False)
    finally:
        cluster.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
