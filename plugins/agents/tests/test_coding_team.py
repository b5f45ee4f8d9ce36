"""`kin init --team coding --mission "…"`, then `kin coding`: a team of role agents at work, changing gear by phase.

The model is scripted per role (the role is in the system prompt) and looks at the project itself to decide,
as a real one would read the files: specifications writes a spec; management hands production a task;
production writes a module with a bug; testeur writes a test, runs the real test command, and turns the
failure into a task for production, which fixes it; chroniqueur keeps the chronicle. The project then grows
past 60 % of the map's budget and the convergence roles take over.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from agents_testkit import Reply, Request, TeamRun, call, git, history, is_choosing, wait_for

from shadeos_core.testing import team_processes

pytestmark = pytest.mark.slow

SPEC = "# The todo module\n\n- `add(text)` appends an item.\n- `items()` returns the items in order.\n"
BUGGY = "ITEMS = []\n\n\ndef add(text):\n    ITEMS.insert(0, text)\n\n\ndef items():\n    return list(ITEMS)\n"
TEST = ("import todo\n\n\ndef test_items_keep_their_order():\n    todo.add('a')\n    todo.add('b')\n"
        "    assert todo.items() == ['a', 'b']\n")
PADDING = "".join(f"# Note {i}: the todo module keeps items in memory, in the order they were added.\n"
                  for i in range(60))


def role_of(request: Request) -> str:
    match = re.search(r"You are the (\w+) agent", request.system)
    return match.group(1) if match else "?"


class CodingModel:
    """What each role's model answers, from the project's files and the conversation so far."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.lock = threading.Lock()
        self.done: set[str] = set()
        self.asked: dict[str, int] = {}

    def once(self, what: str) -> bool:
        with self.lock:
            if what in self.done:
                return False
            self.done.add(what)
            return True

    def __call__(self, request: Request) -> Reply:
        role = role_of(request)
        with self.lock:
            self.asked[role] = self.asked.get(role, 0) + 1
        if is_choosing(request):
            return Reply(text=self.choose(role))
        task = re.search(r"Your task: (.*)", request.last_user)
        return self.work(role, task.group(1) if task else "", request)

    def choose(self, role: str) -> str:
        exists = (self.project / "todo.py").exists
        if role == "specifications" and self.once("spec"):
            return "Write specs/todo.md"
        if role == "management" and (self.project / "specs/todo.md").exists() and self.once("hand out"):
            return "Hand the todo module to production"
        if role == "testeur" and exists() and self.once("test"):
            return "Write test_todo.py and run the tests"
        if role == "chroniqueur" and (self.project / "specs/todo.md").exists() and self.once("chronicle"):
            return "Start CHRONICLE.md"
        return "NOTHING TO DO"

    def work(self, role: str, task: str, request: Request) -> Reply:
        results = request.tool_results
        steps: list[tuple] = []
        if task == "Write specs/todo.md":
            steps = [call("write_file", path="specs/todo.md", content=SPEC)]
        elif task == "Hand the todo module to production":
            steps = [call("add_task", description="Write todo.py as specs/todo.md says", to="production")]
        elif task.startswith("Write todo.py"):
            steps = [call("write_file", path="todo.py", content=BUGGY)]
        elif task == "Write test_todo.py and run the tests":
            if request.turns == 0:
                return Reply(tool_calls=[call("write_file", path="test_todo.py", content=TEST)])
            if request.turns == 1:  # the test command the role prompt says it may run
                allowed = re.search(r"You may run these commands: (.*?)\.\n", request.system).group(1).split("; ")[0]
                return Reply(tool_calls=[call("run_command", command=f"{allowed} test_todo.py")])
            if request.turns == 2 and results and results[0].startswith("exit code 1"):
                failure = next((line for line in results[0].splitlines() if "assert" in line), "assertion failed")
                return Reply(tool_calls=[call("add_task", to="production",
                                              description=f"Fix todo.add: test_todo fails: {failure.strip()}")])
        elif task.startswith("Fix todo.add"):
            steps = [call("edit_file", path="todo.py", search="ITEMS.insert(0, text)", replace="ITEMS.append(text)"),
                     call("edit_file", path="todo.py", search="ITEMS = []\n", replace=PADDING + "ITEMS = []\n")]
        elif task == "Start CHRONICLE.md":
            steps = [call("write_file", path="CHRONICLE.md", content="# Chronicle\n\n- The todo module is specified.\n")]
        if request.turns < len(steps):
            return Reply(tool_calls=[steps[request.turns]])
        return Reply(tool_calls=[call("finish", summary=f"{role}: done")])


def test_kin_coding_runs_a_team_of_role_agents_that_change_gear_by_phase(repo, fake, llm_env, kin):
    kin("init", "--team", "coding", "--mission", "A todo module in Python, with tests.", cwd=repo, check=True)
    assert (repo / "mission.md").read_text() == "A todo module in Python, with tests.\n"
    team_file = repo / "teams" / "coding.toml"
    # the user's copy of the team: quicker cycles for a test, everything else as shipped
    team_file.write_text(re.sub(r'every = "\d+m"', 'every = "1s"', team_file.read_text()))
    total = json.loads(kin("map", "--json", cwd=repo, check=True).stdout)["total_tokens"]
    budget = int(total / 0.45)  # well below 60 % now; the notes production adds with its fix will cross it
    (repo / "kin.toml").write_text(f'[agents]\nmodel = "fake-tools"\ntest_command = "{sys.executable} -m pytest '
                                   f'-q -p no:cacheprovider"\n\n[map]\nbudget = {budget}\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "kin init --team coding")
    model = CodingModel(repo)
    fake.script = model
    run = TeamRun(repo, "coding", llm_env)
    try:
        # production's fix lands once testeur has turned the real failure into a task
        wait_for(lambda: "ITEMS.append(text)" in (repo / "todo.py").read_text() if (repo / "todo.py").exists()
                 else False, 180, lambda: f"the fix of todo.py; asked: {model.asked}\n{run.output[-2000:]}")
        tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo,
                               capture_output=True, text=True)
        assert tests.returncode == 0, tests.stdout

        # production may have taken the task testeur queued before testeur's cycle (its finish, commit, record) ended
        ran = wait_for(lambda: next((c for c in history(repo, "coding.testeur")
                                     if c["task"] == "Write test_todo.py and run the tests"), None), 60,
                       "testeur's record of its test run")
        assert [s["tool"] for s in ran["steps"]] == ["write_file", "run_command", "add_task", "finish"]
        assert ran["notes"][0] == f"ran {sys.executable} -m pytest -q -p no:cacheprovider test_todo.py: exit code 1"
        assert ran["notes"][1].startswith("queued task ") and ran["notes"][1].endswith(" for production")
        # the fix's first edit is on disk before its cycle ends (one more edit, the commit, then the record)
        queued = wait_for(lambda: len(q := [c["task"] for c in history(repo, "coding.production")
                                            if c["task_source"] == "queue"]) >= 2 and q, 60,
                          "production's record of the fix")
        assert queued[0] == "Write todo.py as specs/todo.md says" and queued[1].startswith("Fix todo.add: test_todo")
        assert [c["outcome"] for c in history(repo, "coding.management") if c["task"]][0] == "ok"

        wait_for(lambda: (repo / "CHRONICLE.md").exists(), 60, "the chronicle")
        authors = set(git(repo, "log", "--format=%an|%s").splitlines())
        for expected in ("specifications (kin)|Write specs/todo.md", "production (kin)|Write todo.py as specs/todo.md says",
                         "testeur (kin)|Write test_todo.py and run the tests", "chroniqueur (kin)|Start CHRONICLE.md"):
            assert expected in authors, authors
        assert any(a.startswith("production (kin)|Fix todo.add") for a in authors)

        # the notes of the fix took the project past 60 % of the map's budget: the convergence roles took over
        wait_for(lambda: (run.state() or {}).get("phase") == "convergence", 60, "the convergence phase")
        for role in ("evaluation", "validation", "duplication", "cleaner"):
            wait_for(lambda role=role: history(repo, f"coding.{role}"), 60, f"a cycle of {role}")
        states = wait_for(lambda: (s := {d["name"]: d["state"] for d in (run.state() or {}).get("daemons", [])})
                          and s.get("specifications") == "STOPPED" and s.get("production") == "STOPPED" and s,
                          60, "the expansion roles stopped")
        assert states["testeur"] == "RUNNING" and states["management"] == "RUNNING"
        status = kin("status", cwd=repo, check=True).stdout
        assert "phase convergence" in status.splitlines()[0]
    finally:
        code = run.stop(timeout=120)
        if code != 0:
            run.kill_everything()
    assert code == 0, run.output[-3000:]
    assert team_processes(repo) == [] and list(repo.rglob(".luciorbe*")) == []
