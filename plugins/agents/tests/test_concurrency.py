"""Agents sharing files: edits at the same moment, agents killed mid-write, and a soak with random SIGKILLs."""
from __future__ import annotations

import json
import os
import random
import re
import signal
import threading
import time
from pathlib import Path

import pytest
from agents_testkit import Reply, Request, TeamRun, agent_team, call, git, history, is_choosing, wait_for

HERE = Path(__file__).resolve().parent


def with_events(llm_env: dict[str, str], tmp_path: Path, **extra: str) -> tuple[dict[str, str], Path]:
    events = tmp_path / "events.jsonl"
    path = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH", "")]))
    return {**llm_env, "KIN_PLUGINS": "agents_events", "PYTHONPATH": path, "KIN_TEST_EVENTS": str(events),
            **extra}, events


def events_of(path: Path, kind: str) -> list[dict]:
    try:
        return [e for e in map(json.loads, path.read_text().splitlines()) if e["kind"] == kind]
    except OSError:
        return []


def agent_of(request: Request) -> str:
    match = re.search(r"agent \((\w+)\.(\w+)\)", request.system)
    return match.group(2) if match else "?"


def test_two_agents_editing_one_file_at_the_same_moment_keep_both_changes_and_the_conflict_shows(
        repo, fake, llm_env, runs, tmp_path):
    (repo / "shared.py").write_text("def a():\n    return 'a'\n\n\ndef b():\n    return 'b'\n")
    barrier = threading.Barrier(2, timeout=60)
    edits = {"left": ("return 'a'", "return 'A'"), "right": ("return 'b'", "return 'B'")}

    def script(request: Request) -> Reply:
        who = agent_of(request)
        if is_choosing(request):
            return Reply(text=f"Change the {who} part of shared.py")
        if request.turns == 0:
            barrier.wait()  # both agents have read shared.py; now both edit it at once
            search, replace = edits[who]
            return Reply(tool_calls=[call("edit_file", path="shared.py", search=search, replace=replace)])
        return Reply(tool_calls=[call("finish", summary="done")])

    fake.script = script
    env, events = with_events(llm_env, tmp_path)
    (repo / "teams").mkdir()
    (repo / "teams/duo.toml").write_text(agent_team("duo", {"left": {"model": "fake-tools"},
                                                            "right": {"model": "fake-tools"}}))
    runs.append(run := TeamRun(repo, "duo", env))
    cycles = [run.cycles("left")[0], run.cycles("right")[0]]
    assert [c["outcome"] for c in cycles] == ["ok", "ok"], cycles
    assert (repo / "shared.py").read_text() == "def a():\n    return 'A'\n\n\ndef b():\n    return 'B'\n"
    # the later writer either waited for the other's lease or found the file changed since it read it
    later = [e for c in cycles for e in c["edits"] if e.get("reapplied") or e.get("waited_for")]
    assert later, cycles
    conflicts = events_of(events, "conflict")
    assert conflicts and {c["data"]["file"] for c in conflicts} == {"shared.py"}
    assert {c["data"]["source"] for c in conflicts} <= {"lease", "stale"}
    # both changes are committed: by each agent, or by the first one when the second's was already in the file
    assert git(repo, "status", "--porcelain", "shared.py") == ""
    authors = set(git(repo, "log", "--format=%an", "-2", "--", "shared.py").splitlines())
    assert authors & {"left (kin)", "right (kin)"} and authors <= {"left (kin)", "right (kin)", "kin tests"}


def test_an_agent_killed_mid_write_leaves_no_torn_file_and_its_lease_is_broken_when_it_is_back(
        repo, fake, llm_env, runs, tmp_path):
    (repo / "data.txt").write_text("the old content, whole\n")
    choices = iter(["Rewrite data.txt"])

    def script(request: Request) -> Reply:
        if is_choosing(request):
            return Reply(text=next(choices, "NOTHING TO DO"))
        steps = [call("read_file", path="data.txt"), call("write_file", path="data.txt", content="new\n" * 1000)]
        return Reply(tool_calls=[steps[request.turns]]) if request.turns < 2 else \
            Reply(tool_calls=[call("finish", summary="done")])

    fake.script = script
    env, _events = with_events(llm_env, tmp_path, KIN_AGENTS_PAUSE_BEFORE_REPLACE="30")
    (repo / "teams").mkdir()
    (repo / "teams/solo.toml").write_text(agent_team("solo", {"production": {"model": "fake-tools"}}))
    runs.append(run := TeamRun(repo, "solo", env))
    temp = wait_for(lambda: next(iter(repo.glob(".data.txt.*.kin.tmp")), None), 60, "the write in progress")
    luciorbe = json.loads((repo / ".luciorbe.solo.production").read_text())
    assert luciorbe["current_file"] == "data.txt"  # the lease is visible while held
    pid = run.daemon("production")["pid"]
    os.kill(pid, signal.SIGKILL)
    assert (repo / "data.txt").read_text() == "the old content, whole\n"
    back = wait_for(lambda: (d := run.daemon("production")) and d["state"] == "RUNNING" and d["pid"] != pid and d,
                    60, "the agent restarted")
    assert back["restarts"] == 1
    wait_for(lambda: not temp.exists(), 30, "the dead writer's temporary file removed")
    log = (repo / ".kin/logs/solo.production.log").read_text()
    assert "broke a lease left by solo.production on data.txt" in log
    records = run.cycles("production", at_least=2)
    assert records[0]["outcome"] == "interrupted" and records[0]["task_source"] == "recovered"
    assert (repo / "data.txt").read_text() == "the old content, whole\n"


FILES = ("f0.md", "f1.md", "f2.md")
MARKER = re.compile(r"^marker (T-\w+-\d+)#(\d+)$")


class Soak:
    """The scripted model of the soak: every task inserts numbered markers into the shared files."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def __call__(self, request: Request) -> Reply:
        who = agent_of(request)
        if is_choosing(request):
            with self.lock:
                self.counts[who] = self.counts.get(who, 0) + 1
                n = self.counts[who]
            style = "write" if n % 3 == 0 else "edit"
            first, second = FILES[n % 3], FILES[(n + 1) % 3]
            return Reply(text=f"T-{who}-{n} {style} {first} {second}")
        task = re.search(r"Your task: (T-\w+-\d+) (\w+) (\S+) (\S+)", request.last_user)
        assert task is not None, request.last_user
        ident, style, first, second = task.groups()
        done = sum(1 for r in request.all_tool_results if r.startswith(("edited", "wrote", "created")))
        if style == "edit":
            if done >= 2:
                return Reply(tool_calls=[call("finish", summary="markers added")])
            path = first if done == 0 else second
            return Reply(tool_calls=[call("edit_file", path=path, search="ANCHOR\n",
                                          replace=f"ANCHOR\nmarker {ident}#{done + 1}\n")])
        if done:
            return Reply(tool_calls=[call("finish", summary="marker written")])
        last = request.tool_results[-1] if request.tool_results else ""
        fresh = re.search(r"Its content now:\n(.*)\nRedo your change", last, re.S)
        if request.turns == 0 or (not fresh and "changed since" not in last and not last.startswith("# file")):
            return Reply(tool_calls=[call("read_file", path=first)])
        content = fresh.group(1) if fresh else last
        return Reply(tool_calls=[call("write_file", path=first, content=content + f"marker {ident}#1\n")])


@pytest.mark.slow
def test_soak_ten_agents_on_three_files_with_random_sigkills_lose_no_update(repo, fake, llm_env, runs, tmp_path):
    for index, name in enumerate(FILES):
        (repo / name).write_text(f"# file {index}\nANCHOR\n")
    git(repo, "add", *FILES)
    git(repo, "commit", "-qm", "files to share")
    fake.script = Soak()
    env, events = with_events(llm_env, tmp_path)
    names = [f"a{i}" for i in range(10)]
    (repo / "teams").mkdir()
    (repo / "teams/soak.toml").write_text(agent_team(
        "soak", {n: {"model": "fake-tools", "every": "1s", "start_retries": 10, "lease_wait": "20s"} for n in names},
        team={"flap_restarts": 1000}))
    runs.append(run := TeamRun(repo, "soak", env))
    wait_for(lambda: all((d := run.daemon(n)) and d["state"] == "RUNNING" for n in names), 120, "all ten RUNNING")
    killed: list[str] = []
    rng = random.Random(7)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(0.5, 2.0))
        name = rng.choice(names)
        daemon = run.daemon(name)
        if daemon and daemon["state"] == "RUNNING" and daemon["pid"]:
            try:
                os.kill(daemon["pid"], signal.SIGKILL)
                killed.append(name)
            except ProcessLookupError:
                pass
    assert len(killed) >= 10
    wait_for(lambda: all((d := run.daemon(n)) and d["state"] == "RUNNING" for n in names), 120,
             "every killed agent back RUNNING")
    time.sleep(5)  # the cycles in flight finish
    assert run.stop(timeout=120) == 0, run.output[-3000:]

    records = {n: history(repo, f"soak.{n}") for n in names}
    applied = 0
    contents = {name: (repo / name).read_text() for name in FILES}
    for name, cycles in records.items():
        for cycle in cycles:
            assert "commit failed" not in cycle.get("error", ""), cycle
            ident = cycle["task"].split(" ")[0] if cycle["task"].startswith("T-") else None
            ordinal = 0
            for edit in cycle.get("edits", []):
                if edit["outcome"] != "applied":
                    continue
                ordinal += 1
                applied += 1
                assert f"marker {ident}#{ordinal}\n" in contents[edit["path"]], (name, cycle, edit)  # 0 lost updates
    assert applied >= 30
    for index, name in enumerate(FILES):
        lines = contents[name].splitlines()
        assert lines[:2] == [f"# file {index}", "ANCHOR"]
        assert all(MARKER.match(line) for line in lines[2:]), lines  # no torn or half line
        assert len(set(lines)) == len(lines)
    conflicts = events_of(events, "conflict")
    contended = [(c["data"]["waiting"], c["data"]["file"]) for c in conflicts]
    for name, cycles in records.items():
        for cycle in cycles:
            for edit in cycle.get("edits", []):
                if edit.get("reapplied") or edit.get("waited_for"):
                    assert (f"soak.{name}", edit["path"]) in contended  # every conflict is in the events
    assert len(contended) >= 5


def test_what_an_agent_changed_before_it_was_killed_is_committed_by_its_next_life(repo, fake, llm_env, runs,
                                                                                 tmp_path):
    choices = iter(["Write first.txt then slow.txt"])

    def script(request: Request) -> Reply:
        if is_choosing(request):
            return Reply(text=next(choices, "NOTHING TO DO"))
        steps = [call("write_file", path="first.txt", content="1\n"), call("write_file", path="slow.txt", content="2\n")]
        return Reply(tool_calls=[steps[min(request.turns, 1)]])

    fake.script = script
    env, _events = with_events(llm_env, tmp_path, KIN_AGENTS_PAUSE_BEFORE_REPLACE="30:slow.txt")
    (repo / "teams").mkdir()
    (repo / "teams/solo.toml").write_text(agent_team("solo", {"production": {"model": "fake-tools"}}))
    runs.append(run := TeamRun(repo, "solo", env))
    wait_for(lambda: any(repo.glob(".slow.txt.*.kin.tmp")), 60, "the second write in progress")
    assert (repo / "first.txt").read_text() == "1\n"
    os.kill(run.daemon("production")["pid"], signal.SIGKILL)
    recovered = run.cycles("production")[0]
    assert (recovered["outcome"], recovered["task_source"]) == ("interrupted", "recovered")
    assert recovered["task"] == "Write first.txt then slow.txt" and recovered["commit"]
    assert git(repo, "show", "--name-only", "--format=%an|%s", "HEAD").split("\n")[:3] == [
        "production (kin)|Write first.txt then slow.txt", "", "first.txt"]
    assert not (repo / "slow.txt").exists() and not any(repo.glob(".slow.txt.*"))
