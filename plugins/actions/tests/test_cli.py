"""The command line on a recorded history: filters, time forms, formats, errors in one line, the review."""
from __future__ import annotations

import json
import time

from actions_testkit import kin_json

from shadeos_actions.recorder import Recorder
from shadeos_core.events import DaemonEvent


def history(project, now=None):
    """A short recorded session: b edits src/a.py then c edits it, a command fails, a message goes a → b."""
    now = time.time() if now is None else now
    rec = Recorder(project / ".kin" / "actions")
    events = [
        DaemonEvent("edit", "t.b", "t", {"path": "src/a.py", "op": "edit", "outcome": "applied"}, time=now - 7200),
        DaemonEvent("edit", "t.c", "t", {"path": "src/a.py", "op": "edit", "outcome": "applied"}, time=now - 600),
        DaemonEvent("edit", "t.c", "t", {"path": "docs/x.md", "op": "write", "outcome": "applied"}, time=now - 500),
        DaemonEvent("command", "t.a", "t", {"returncode": 1, "duration": 0.5}, time=now - 400),
        DaemonEvent("message", "t.a", "t", {"sent": "5-1-2-3.json", "to": "t.b", "message_kind": "message"},
                    time=now - 300),
        DaemonEvent("message", "t.b", "t", {"received": "5-1-2-3.json", "sender": "t.a", "message_kind": "message"},
                    time=now - 299),
    ]
    for event in events:
        rec.record(event)
    rec.close()
    return now


def test_filters_by_daemon_kind_path_and_time(project, kin):
    history(project)
    assert [r["daemon"] for r in kin_json(kin, "actions", "--path", "src/a.py", cwd=project)] == ["t.b", "t.c"]
    assert [r["data"]["path"] for r in kin_json(kin, "actions", "--path", "docs", cwd=project)] == ["docs/x.md"]
    assert [r["data"]["path"] for r in kin_json(kin, "actions", "--since", "1h", "--kind", "edit",
                                                cwd=project)] == ["src/a.py", "docs/x.md"]
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 450))
    assert [r["kind"] for r in kin_json(kin, "actions", "--since", iso, cwd=project)] == ["command", "message", "message"]
    assert [r["kind"] for r in kin_json(kin, "actions", "-d", "a", cwd=project)] == ["command", "message"]
    assert len(kin_json(kin, "actions", "-n", "2", cwd=project)) == 2
    table = kin("actions", "--kind", "command", cwd=project)
    assert table.returncode == 0 and "t.a" in table.stdout and "returncode=1" in table.stdout
    graph = json.loads(kin("actions", "graph", "--format", "json", cwd=project).stdout)
    assert [(e["source"], e["target"], e["kind"], e["count"]) for e in graph["edges"]] == [
        ("t.b", "t.c", "file", 1), ("t.a", "t.b", "message", 1)]


def test_bad_input_is_one_line_and_exit_2(project, kin, write):
    bad = kin("actions", "--since", "last tuesday", cwd=project)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == ["kin: error: --since 'last tuesday' is neither a duration nor a time "
                                               "(e.g. 30m, 1h, 2d, 2026-11-20 or 2026-11-20T14:30:00Z)"]
    write("kin.toml", '[actions]\nretention = "2h"\n')
    for args in (("actions",), ("insights",), ("actions", "stats")):
        proc = kin(*args, cwd=project)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
        assert "actions.retention must be a day or more" in proc.stderr
    write("kin.toml", "[actions]\nrepeats = 3\n")
    write("teams/t.toml", '[team]\nname = "t"\n[meta.actions]\nevery = "1s"\n')
    proc = kin("t", cwd=project)
    assert proc.returncode == 2 and "[actions] repeats: unknown key" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_help_explains_each_command(project, kin):
    for args, words in ((("actions",), "every action recorded"), (("actions", "stats"), "p50/p95"),
                        (("actions", "graph"), "Mermaid"), (("insights",), "evidence")):
        proc = kin(*args, "--help", cwd=project)
        assert proc.returncode == 0 and words in proc.stdout


def test_the_report_hook_answers_with_the_contract(project):
    from shadeos_core import Kernel

    history(project)
    kernel = Kernel.load(project)
    assert kernel.hooks.implementers("actions_report") == ["actions"]
    assert kernel.hooks.arguments("actions_report") == ("workspace", "since")
    report = kernel.hooks.call("actions_report", workspace=kernel.workspace, since=time.time() - 3600)
    assert set(report) == {"performance", "graph", "insights"}
    assert {(r["daemon"], r["kind"], r["count"]) for r in report["performance"]} == {
        ("t.c", "edit", 2), ("t.a", "command", 1), ("t.a", "message", 1), ("t.b", "message", 1)}
    assert set(report["graph"]) == {"nodes", "edges", "mermaid", "dot"}
    assert report["graph"]["nodes"] == ["t.a", "t.b", "t.c"]
    assert report["insights"] == []


def test_a_written_review_by_the_configured_model(project, kin, write, fake, llm_env):
    from shadeos_agents.testing import Reply

    history(project)
    for i in range(3):  # a failure seen three times: one insight to review
        Recorder(project / ".kin" / "actions").record(
            DaemonEvent("command", "t.a", "t", {"returncode": 1, "tail": "boom"}, time=time.time() - 100 + i))
    no_model = kin("insights", "--review", cwd=project, env=llm_env)
    assert no_model.returncode == 2 and "no model configured for a review" in no_model.stderr
    write("kin.toml", '[agents]\nmodel = "fake-plain"\n')
    fake.script = lambda request: Reply(text="t.a fails on every run; fix its command first.")
    found = kin_json(kin, "insights", "--review", cwd=project, env=llm_env)
    assert found["review"]["text"] == "t.a fails on every run; fix its command first."
    assert found["review"]["model"] == "fake-plain"
    [asked] = fake.requests
    assert "t.a" in asked.last_user and "the same command failure 3 times" in asked.last_user
