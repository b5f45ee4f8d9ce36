"""What the analysis learned goes into memory through the archivist, once."""
from __future__ import annotations

import calendar
import json
import time

from actions_testkit import kin_json

from shadeos_actions.recorder import Recorder
from shadeos_core.events import DaemonEvent


def yesterday_evening() -> float:
    today = calendar.timegm(time.strptime(time.strftime("%Y-%m-%d", time.gmtime()), "%Y-%m-%d"))
    return today - 3600.0  # on a day that is over, at most 25 hours ago


def test_days_patterns_and_conventions_become_memories_once(project, kin):
    # the analysis window must hold yesterday evening at any time of today (the default, 24h, does not after 23:00)
    (project / "kin.toml").write_text('[actions]\nwindow = "48h"\n')
    recorder = Recorder(project / ".kin" / "actions")
    t = yesterday_evening()
    for i in range(12):  # a linter's habit: command then cycle; its command fails the same way each time
        recorder.record(DaemonEvent("command", "t.lint", "t", {"returncode": 2, "tail": f"E{i}: line 3 too long"},
                                    time=t + 2 * i))
        recorder.record(DaemonEvent("cycle", "t.lint", "t", {"status": "error", "duration": 0.1}, time=t + 2 * i + 1))
    recorder.record(DaemonEvent("state", "", "t", {"state": "running"}, time=t))
    recorder.close()

    first = kin_json(kin, "actions", "remember", cwd=project)
    by_stratum = {m["stratum"]: m["key"] for m in first["stored"]}
    assert len(first["stored"]) == 3 and first["skipped"] == 0
    assert by_stratum["somatic"] == f"day:{time.strftime('%Y-%m-%d', time.gmtime(t))}"
    assert by_stratum["cognitive"] == "repeated_failure:t.lint:command:E#: line # too long"
    assert by_stratum["metaphysical"].startswith("convention:lint:")
    assert first["linked"] == 1  # the pattern, to the day its records fall on
    again = kin_json(kin, "actions", "remember", cwd=project)
    assert again == {"stored": [], "skipped": 3, "linked": 0}

    exported = [json.loads(line) for line in kin("memory", "export", cwd=project, check=True).stdout.splitlines()]
    ours = [m for m in exported if m["author"] == "actions"]
    assert sorted(m["id"] for m in ours) == sorted(m["id"] for m in first["stored"])
    day = next(m for m in ours if m["stratum"] == "somatic")
    assert day["namespace"] == "global" and day["metadata"]["actions"] == {"t.lint": 24, "": 1}
    pattern = next(m for m in ours if m["stratum"] == "cognitive")
    assert pattern["namespace"] == "daemons/t.lint"
    assert pattern["metadata"]["evidence"][0] == "12 × command by t.lint failed with: E#: line # too long"
    assert pattern["metadata"]["records"]["daemons"] == ["t.lint"]
    edges = kin_json(kin, "memory", "links", pattern["id"], cwd=project)
    assert [(e["source"], e["target"], e["type"]) for e in edges] == [(pattern["id"], day["id"], "immanence")]


def test_without_an_archivist_remember_says_what_to_install(project, kin):
    proc = kin("actions", "remember", cwd=project, env={"KIN_DISABLE_PLUGINS": "archivist"})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["kin: error: no archivist: memories cannot be stored "
                                                "(pip install shadeos-archivist)"]
