"""The phase: convergence from 60 % of the budget, back to expansion only below 50 %, persisted and announced."""
from __future__ import annotations

import json

from map_testing import words

from shadeos_core.workspace import Workspace
from shadeos_map.phase import CONVERGENCE, EXPANSION, next_phase, publish_phase


def test_next_phase_hysteresis():
    assert next_phase(None, 0.59) == EXPANSION
    assert next_phase(EXPANSION, 0.60) == CONVERGENCE
    assert next_phase(CONVERGENCE, 0.50) == CONVERGENCE
    assert next_phase(CONVERGENCE, 0.4999) == EXPANSION
    assert next_phase(EXPANSION, 0.55) == EXPANSION


def test_publish_phase_persists_and_reports_changes_only(project):
    workspace = Workspace(project)
    events = []
    steps = [(590, EXPANSION, True), (610, CONVERGENCE, True), (550, CONVERGENCE, False), (490, EXPANSION, True)]
    for total, expected, changed in steps:
        assert publish_phase(workspace, total, 1000, emit=events.append) == (expected, changed)
        record = json.loads((project / ".kin" / "state" / "phase.json").read_text())
        assert record["phase"] == expected and record["total_tokens"] == total and record["budget"] == 1000
        assert record["ratio"] == total / 1000 and record["updated_at"].endswith("Z")
    assert [(e["previous"], e["phase"]) for e in events] == [(None, EXPANSION), (EXPANSION, CONVERGENCE),
                                                              (CONVERGENCE, EXPANSION)]


def test_hysteresis_through_kin_map_write_with_daemon_events(project, write, kin_words, tmp_path):
    write("kin.toml", """
        [map]
        budget = 1000
        exclude = ["*.toml"]
    """)
    events_log = tmp_path / "events.jsonl"
    seen = []
    for total in (590, 610, 550, 490):
        write("doc.txt", words(total))
        data, _ = kin_words("map", "--json", "--write", cwd=project, env={"MAP_EVENTS_LOG": str(events_log)})
        phase = json.loads((project / ".kin" / "state" / "phase.json").read_text())
        assert data["total_tokens"] == phase["total_tokens"] == total
        seen.append((phase["phase"], data["phase"]))
    assert seen == [("expansion",) * 2, ("convergence",) * 2, ("convergence",) * 2, ("expansion",) * 2]
    events = [json.loads(line) for line in events_log.read_text().splitlines()]
    assert [(e["kind"], e["data"]["phase"], e["data"]["total_tokens"]) for e in events] == [
        ("phase", "expansion", 590), ("phase", "convergence", 610), ("phase", "expansion", 490)]


def test_kin_map_without_write_leaves_the_phase_file_alone(project, write, kin_words):
    write("kin.toml", "[map]\nbudget = 10\n")
    write("doc.txt", words(9))
    data, _ = kin_words("map", "--json", cwd=project)
    assert data["phase"] == "convergence"
    assert not (project / ".kin" / "state" / "phase.json").exists()
    assert not (project / ".kin" / "map.md").exists()
