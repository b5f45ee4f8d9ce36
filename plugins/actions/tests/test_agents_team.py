"""Agents against the scripted model server: model and tool calls, an idle loop, a ping-pong on one file,
messages and task hand-offs, all recorded and found."""
from __future__ import annotations

import itertools
import json
import threading

from actions_testkit import Run, kin_json, records, team_file, wait_for

from shadeos_agents.testing import Reply, call

CHOOSE = "Choose the single most useful concrete task"
AGENT = {"type": "agent", "retries": 0, "backoff": "0.1s", "timeout": "20s", "on_message": True}


def crew_script():
    counter = itertools.count()
    lock = threading.Lock()
    said = []

    def script(request):
        if request.model == "fake-plain":
            return Reply(text="NOTHING TO DO", usage=(300, 5))
        who = "a" if request.model == "fake-a" else "b"
        if CHOOSE in request.last_user:
            return Reply(text=f"Rewrite shared.txt as {who}")
        if request.turns == 0:
            with lock:
                n = next(counter)
                first = who == "a" and "a" not in said
                said.append(who)
            calls = [call("read_file", path="shared.txt"),
                     call("write_file", path="shared.txt", content=f"{who} was here ({n})\n")]
            if first:
                calls += [call("send_message", to="writer_b", body="shared.txt is yours now"),
                          call("add_task", description="Check shared.txt", to="writer_b")]
            return Reply(tool_calls=calls)
        return Reply(tool_calls=[call("finish", summary="rewrote shared.txt")])

    return script


def summary(project):
    seen: dict = {}
    for r in records(project):
        key = f"{r['daemon']}:{r['kind']}" + (f":{r['data'].get('action')}" if r["kind"] == "task" else "")
        seen[key] = seen.get(key, 0) + 1
    return seen


def of(project, daemon, kind):
    return [r for r in records(project) if r["daemon"] == daemon and r["kind"] == kind]


def test_a_team_of_agents_leaves_a_record_whose_analysis_matches_what_it_did(git_repo, fake, llm_env, runs, kin):
    project = git_repo
    fake.script = crew_script()
    team_file(project, "crew", {
        "idler": {**AGENT, "model": "fake-plain", "every": "0.3s"},
        "writer_a": {**AGENT, "model": "fake-a", "every": "0.4s"},
        "writer_b": {**AGENT, "model": "fake-b", "every": "0.4s"},
    })
    runs.append(run := Run(project, "crew", llm_env))
    wait_for(lambda: len(of(project, "crew.idler", "agent_cycle")) >= 6
             and len(of(project, "crew.writer_a", "edit")) >= 4 and len(of(project, "crew.writer_b", "edit")) >= 4
             and [r for r in of(project, "crew.writer_b", "task") if r["data"].get("action") == "completed"],
             120, lambda: f"cycles of the crew: {summary(project)}\n{run.output[-3000:]}")
    assert run.stop() == 0
    everything = records(project)

    # model calls with their tokens and durations; tool calls with their tool, path and outcome
    calls = [r for r in everything if r["kind"] == "model_call"]
    assert calls and all(r["data"]["duration"] >= 0 for r in calls)
    assert {(r["data"]["model"], r["data"]["input_tokens"], r["data"]["output_tokens"])
            for r in calls if r["daemon"] == "crew.idler"} == {("fake-plain", 300, 5)}
    tools = [(r["data"]["tool"], r["data"].get("path"), r["data"]["ok"]) for r in of(project, "crew.writer_a", "tool_call")]
    assert ("write_file", "shared.txt", True) in tools and ("send_message", None, True) in tools
    sent = [r["data"] for r in of(project, "crew.writer_a", "message")]
    assert [(m["to"], m["message_kind"]) for m in sent if "sent" in m] == [("crew.writer_b", "message")]
    actions = [r["data"]["action"] for r in of(project, "crew.writer_b", "task") if "action" in r["data"]]
    assert actions[:2] == ["claimed", "completed"]

    # performance: the idler's share of the spend is what its calls cost
    stats = {(r["daemon"], r["kind"]): r for r in kin_json(kin, "actions", "stats", cwd=project)}
    idler = stats[("crew.idler", "model_call")]
    spent = {d: sum(r["data"]["input_tokens"] + r["data"]["output_tokens"] for r in calls if r["daemon"] == d)
             for d in ("crew.idler", "crew.writer_a", "crew.writer_b")}
    assert idler["input_tokens"] == 300 * idler["count"]
    assert abs(idler["share"] - spent["crew.idler"] / sum(spent.values())) < 1e-3
    assert stats[("crew.writer_a", "tool_call")]["failure_rate"] < 1.0

    # the collaboration graph is what happened: a message and a task from a to b, one file shared by both
    shown = kin("actions", "graph", "--format", "json", cwd=project)
    graph = json.loads(shown.stdout)
    edges = {(e["source"], e["target"], e["kind"]): e for e in graph["edges"]}
    assert edges[("crew.writer_a", "crew.writer_b", "message")]["count"] == 1
    assert edges[("crew.writer_a", "crew.writer_b", "task")]["count"] == 1
    shared = edges[("crew.writer_a", "crew.writer_b", "file")]
    assert shared["files"] == ["shared.txt"] and shared["first"] <= shared["last"]
    assert not any("crew.idler" in (s, t) for s, t, _ in edges)
    assert {"crew.idler", "crew.writer_a", "crew.writer_b"} <= set(graph["nodes"])
    mermaid = kin("actions", "graph", cwd=project).stdout
    assert mermaid.startswith("graph LR") and '-->|"message ×1"|' in mermaid and '---|"file ×1"|' in mermaid
    dot = kin("actions", "graph", "--format", "dot", cwd=project).stdout
    assert dot.startswith("digraph kin {") and '"crew.writer_a" -> "crew.writer_b" [label="task ×1"];' in dot

    # the patterns and what to change: the idler loops, the writers ping-pong on shared.txt
    found = kin_json(kin, "insights", cwd=project)
    patterns = {p["pattern"]: p for p in found["patterns"]}
    assert patterns["idle_loop"]["daemons"] == ["crew.idler"] and patterns["idle_loop"]["idle_tokens"] > 0
    assert patterns["ping_pong"]["path"] == "shared.txt"
    assert patterns["ping_pong"]["daemons"] == ["crew.writer_a", "crew.writer_b"]
    rules = {i["rule"]: i for i in found["insights"]}
    assert rules["longer-every"]["daemons"] == ["crew.idler"] and "[daemons.idler] every" in rules["longer-every"]["change"]
    assert rules["split-files"]["daemons"] == ["crew.writer_a", "crew.writer_b"]
    assert "shared.txt" in rules["split-files"]["change"] and rules["split-files"]["evidence"]
    assert [i["rule"] for i in found["insights"] if "crew.idler" in i["daemons"]] == ["longer-every"]
    # suggestions only: the team file is as it was written
    assert "every = \"0.3s\"" in (project / "teams" / "crew.toml").read_text()
