"""An agent busy in expansion but idle in convergence is told to sit convergence out, not to slow down."""
from __future__ import annotations

import time

from actions_testkit import kin_json

from shadeos_actions.recorder import Recorder
from shadeos_core.events import DaemonEvent


def test_an_agent_idle_only_in_convergence_is_switched_off_there(project, kin):
    rec = Recorder(project / ".kin" / "actions")
    t = time.time() - 1000
    rec.record(DaemonEvent("phase", "", "t", {"phase": "expansion"}, time=t))
    for i in range(6):
        rec.record(DaemonEvent("agent_cycle", "t.docs", "t", {"outcome": "ok", "input_tokens": 900,
                                                             "output_tokens": 100}, time=t + 1 + 2 * i))
        rec.record(DaemonEvent("cycle", "t.docs", "t", {"status": "ok", "duration": 1.0}, time=t + 2 + 2 * i))
    rec.record(DaemonEvent("phase", "", "t", {"phase": "convergence"}, time=t + 100))
    for i in range(8):
        rec.record(DaemonEvent("agent_cycle", "t.docs", "t", {"outcome": "nothing-to-do", "input_tokens": 800,
                                                             "output_tokens": 5}, time=t + 101 + 2 * i))
        rec.record(DaemonEvent("cycle", "t.docs", "t", {"status": "idle", "duration": 1.0}, time=t + 102 + 2 * i))
    rec.close()
    [insight] = kin_json(kin, "insights", cwd=project)["insights"]
    assert insight["rule"] == "phase-off" and insight["daemons"] == ["t.docs"]
    assert insight["change"] == 'leave "docs" out of [phases.convergence] daemons in the team file'
    assert "in phase convergence: 8 of 8 cycles idle, 6440 tokens spent on nothing" in insight["evidence"]
