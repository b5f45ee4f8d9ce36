"""A second process for the gate's tests: ``python gate_worker.py ROOT HOLDER PATH SECONDS [write TEXT]``.

Holds the lease on PATH for SECONDS (printing "held" once it has it), or, with ``write``, writes TEXT
to PATH through a write gate (with KIN_AGENTS_PAUSE_BEFORE_REPLACE set, it stops just before the
replace, the moment a test kills it).
"""
import sys
import time

from shadeos_agents.gate import WriteGate
from shadeos_agents.leases import Leases
from shadeos_agents.policy import PathPolicy
from shadeos_core.workspace import Workspace

root, holder, path, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
workspace = Workspace(root)
leases = Leases(workspace, holder)
if len(sys.argv) > 5 and sys.argv[5] == "write":
    gate = WriteGate(PathPolicy(workspace), leases)
    if (workspace.root / path).exists():
        gate.read(path)
    gate.write(path, sys.argv[6])
    print("written", flush=True)
else:
    with leases.hold(path, wait=5):
        print("held", flush=True)
        time.sleep(seconds)
