"""A team of command daemons run as a user runs it, then `kin actions`, `stats`, `insights` on what it did."""
from __future__ import annotations

import json

from actions_testkit import Run, kin_json, records, team_file, wait_for

SLOWER = ["sh", "-c", "n=$(( $(cat n 2>/dev/null || echo 0) + 1 )); echo $n > n; sleep $(printf '0.%03d' $((n * 30)))"]


def cycles_of(project, daemon):
    return [r for r in records(project) if r["daemon"] == daemon and r["kind"] == "cycle"]


def test_a_failing_and_a_slowing_command_are_found_and_a_healthy_one_is_left_alone(project, runs, kin):
    team_file(project, "ci", {
        "tick": {"type": "command", "command": ["true"], "every": "0.2s"},
        "failing": {"type": "command", "command": ["sh", "-c", "echo 'boom: disk 42 is gone' >&2; exit 3"],
                    "every": "0.2s"},
        "slow": {"type": "command", "command": SLOWER, "every": "0.1s"},
    })
    runs.append(run := Run(project, "ci"))
    wait_for(lambda: len(cycles_of(project, "ci.slow")) >= 12 and len(cycles_of(project, "ci.failing")) >= 5, 90,
             lambda: f"12 cycles of slow, 5 of failing\n{run.output[-2000:]}")
    assert run.stop() == 0

    listed = kin_json(kin, "actions", "--daemon", "failing", "--kind", "command", "--since", "1h", "-n", "0",
                      cwd=project)
    assert len(listed) >= 5
    assert {(r["daemon"], r["kind"], r["data"]["returncode"]) for r in listed} == {("ci.failing", "command", 3)}
    assert all(isinstance(r["data"]["duration"], float) and r["pid"] > 0 for r in listed)
    lifecycle = {r["kind"] for r in kin_json(kin, "actions", "--daemon", "ci.tick", "-n", "0", cwd=project)}
    assert {"started", "cycle", "command", "stopped"} <= lifecycle

    stats = {(r["daemon"], r["kind"]): r for r in kin_json(kin, "actions", "stats", cwd=project)}
    failing, tick = stats[("ci.failing", "command")], stats[("ci.tick", "command")]
    assert failing["failure_rate"] == 1.0 and tick["failure_rate"] == 0.0
    assert failing["count"] == len(listed) and 0 < failing["p50"] <= failing["p95"]
    assert set(failing) == {"daemon", "kind", "count", "p50", "p95", "input_tokens", "output_tokens",
                            "failure_rate", "share"}
    slow = stats[("ci.slow", "cycle")]
    assert slow["p95"] > slow["p50"]

    found = kin_json(kin, "insights", cwd=project)
    by_rule = {(i["rule"], tuple(i["daemons"])) for i in found["insights"]}
    assert ("repeated-failure", ("ci.failing",)) in by_rule
    assert ("drift", ("ci.slow",)) in by_rule
    assert not any("ci.tick" in i["daemons"] for i in found["insights"])
    failure = next(i for i in found["insights"] if i["rule"] == "repeated-failure")
    assert any("boom: disk # is gone" in line for line in failure["evidence"])
    assert "kin logs failing" in failure["change"]
    drift = next(p for p in found["patterns"] if p["pattern"] == "drift")
    assert drift["measure"] == "cycle time" and drift["after"] >= 1.5 * drift["before"]

    text = kin("insights", cwd=project)
    assert text.returncode == 0 and "[repeated-failure]" in text.stdout and "change:" in text.stdout


def test_a_healthy_team_gets_no_suggestion(project, runs, kin):
    team_file(project, "fine", {"tick": {"type": "command", "command": ["true"], "every": "0.2s"},
                                "tock": {"type": "command", "command": ["true"], "every": "0.3s"}},
              meta={"actions": {"every": "0.5s"}})
    runs.append(run := Run(project, "fine"))
    wait_for(lambda: len(cycles_of(project, "fine.tock")) >= 8 and cycles_of(project, "fine.actions"), 60,
             lambda: f"8 cycles of tock\n{run.output[-2000:]}")
    report = wait_for(lambda: (project / ".kin/actions/report.json").is_file() and
                      (project / ".kin/actions/report.json").read_text(), 30, "the meta-daemon's report")
    assert run.stop() == 0
    assert json.loads(report)["insights"] == [] and json.loads(report)["records"] > 0
    found = kin_json(kin, "insights", cwd=project)
    assert found["insights"] == [] and all(p["pattern"] == "sequence" for p in found["patterns"])
    text = kin("insights", cwd=project)
    assert text.returncode == 0 and text.stdout.startswith("no suggestion")
    # what the sequences say: each command daemon's habit is command → cycle → command
    habits = {(p["role"], tuple(p["sequence"])) for p in kin_json(kin, "insights", cwd=project)["patterns"]}
    assert ("tick", ("command", "cycle", "command")) in habits
