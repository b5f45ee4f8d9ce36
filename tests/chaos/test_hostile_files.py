"""Hostile JSON in every file kin reads (team state, agent records, tasks, mail, context entries, luciorbes,
process records, the map cache, the memory journal): nested past the parser's limit, unclosed, not text, empty,
of the wrong shape, with numbers no float or int holds, every value of the wrong type, every value null.

Each is a finding (skipped, quarantined or said in one line naming the file), never a crash: every command
answers, a team starts on such a project, and a running team whose files are overwritten so goes on working.
"""
from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from chaos_kit import HOSTILE, kin_json_files, poison

from shadeos_agents.testing import FakeLLM, Reply, Request, call, llm_home
from shadeos_core.luciorbe import Luciorbe
from shadeos_core.mailbox import Mailbox
from shadeos_core.testing import TeamRun, team_processes, wait_for
from shadeos_core.workspace import Workspace

TEAM = """\
[team]
cycle = "0.2s"
stop_timeout = "5s"
[meta.map]
heartbeat = "0.5s"
start_seconds = "0.3s"
[meta.context]
heartbeat = "0.5s"
start_seconds = "0.3s"
[meta.archivist]
heartbeat = "0.5s"
start_seconds = "0.3s"
[meta.janitor]
heartbeat = "0.5s"
start_seconds = "0.3s"
every = "1s"
[daemons.production]
type = "agent"
model = "fake-tools"
every = "1h"
on_message = true
heartbeat = "0.5s"
start_seconds = "0.3s"
timeout = "20s"
retries = 0
backoff = "0.1s"
[daemons.worker]
type = "command"
command = ["sh", "-c", "echo hi"]
every = "1s"
heartbeat = "0.5s"
start_seconds = "0.3s"
"""

# Every command that reads what the team left; none may fail otherwise than with a one-line error (exit 1).
READERS = [("status",), ("status", "--json"), ("agents",), ("agents", "--json"), ("agents", "history", "production"),
           ("agents", "history", "production", "--json"), ("task", "list"), ("task", "list", "--json"),
           ("context", "list"), ("context", "get", "t.worker", "notes"), ("mail", "dead"), ("mail", "dead", "--json"),
           ("luciorbe", "list"), ("luciorbe", "list", "--json"), ("ps",), ("ps", "--json"), ("map", "--json"),
           ("memory", "search", "memory"), ("memory", "stats"), ("memory", "export"), ("check",),
           ("logs", "worker"), ("luciorbe", "clean"), ("context", "persist")]  # these two last: they change files


NOTES = itertools.count()


def model(request: Request) -> Reply:
    """Chooses a task, writes a file, remembers, finishes: every record an agent keeps gets written."""
    if "Choose the single most useful" in request.last_user:
        return Reply(text="Write notes.md")
    steps = [call("write_file", path=f"notes-{next(NOTES)}.md", content="notes\n"),
             call("remember", text="notes were written")]
    return Reply(tool_calls=[steps[request.turns]] if request.turns < len(steps) else [call("finish", summary="ok")])


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        server.script = model
        yield server


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory, fake: FakeLLM) -> tuple[Path, dict[str, str]]:
    """A project a team worked on: every kind of file kin reads exists in it (the team stopped)."""
    base = tmp_path_factory.mktemp("hostile")
    project = base / "project"
    project.mkdir()
    env = {**os.environ, **llm_home(base / "llm", fake.url)}
    for command in (["git", "init", "-q", "-b", "main"], ["git", "commit", "-q", "--allow-empty", "-m", "start"]):
        subprocess.run(command, cwd=project, check=True)
    (project / ".gitignore").write_text(".kin/\n")
    (project / "teams").mkdir()
    (project / "teams" / "t.toml").write_text(TEAM)

    def kin(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "shadeos_core", *args], cwd=project, env=env, check=True,
                       capture_output=True)

    kin("task", "add", "write the notes")
    kin("memory", "add", "a memory to find")
    kin("context", "set", "t.worker", "notes", '{"seen": 1}')
    kin("exec", "--", "true")
    run = TeamRun(project, "t", env)
    try:
        wait_for(lambda: list(project.glob(".kin/tasks/done/*.json")) and (project / ".kin/state/phase.json").exists()
                 and (project / ".kin/agents/t.production/history.jsonl").exists(), 60, lambda: run.output)
    finally:
        assert run.stop() == 0, run.output
    kin("task", "add", "a task still queued")  # files a stopped team leaves waiting
    Mailbox.send(Workspace(project), "t.production", {"text": "a message still waiting"}, sender="t.worker")
    (project / "sub").mkdir()
    for directory in (project, project / "sub"):
        record = Luciorbe.for_this_process("t.ghost").to_json()
        (directory / ".luciorbe.t.ghost").write_text(json.dumps(record))
    return project, env


def copy_of(worked: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(worked[0], project, symlinks=True)
    return project


def run_kin(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shadeos_core", *args], cwd=project, env=env, text=True,
                          capture_output=True, timeout=120)


def test_the_worked_project_holds_every_kind_of_file(worked):
    kinds = {p.relative_to(worked[0]).parts[:2] for p in kin_json_files(worked[0])}
    assert {(".kin", d) for d in ("agents", "context", "mail", "memory", "run", "state", "tasks")} <= kinds, kinds
    assert any(p.name.startswith(".luciorbe.") for p in kin_json_files(worked[0]))


@pytest.mark.parametrize("variant", sorted(HOSTILE))
def test_every_command_answers_on_hostile_files(worked, tmp_path, variant):
    project = copy_of(worked, tmp_path)
    assert len(poison(project, variant)) >= 15
    readers, writers = READERS[:-2], READERS[-2:]  # the last two change files: after the others
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda args: (args, run_kin(project, worked[1], *args)), readers))
    done += [(args, run_kin(project, worked[1], *args)) for args in writers]
    for args, proc in done:
        said = f"kin {' '.join(args)} on {variant} files exited {proc.returncode}:\n{proc.stderr[-2000:]}"
        assert proc.returncode in (0, 1), said
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, said
        errors = [line for line in proc.stderr.splitlines() if line.startswith("kin: error")]
        assert proc.returncode == 0 or len(errors) == 1, said  # a failure is one line saying what and where
        if "--json" in args and proc.returncode == 0:
            json.loads(proc.stdout)  # a script still gets JSON


def no_tracebacks(project: Path) -> None:
    for log in (project / ".kin" / "logs").glob("*"):
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, f"{log.name}:\n{text[-3000:]}"


def healthy(project: Path, env: dict[str, str]) -> bool:
    """Every daemon of the team RUNNING and never restarted, as ``kin status`` says."""
    state = json.loads(run_kin(project, env, "status", "--json").stdout or "{}")
    daemons = {d.get("name"): (d.get("state"), d.get("restarts")) for d in state.get("daemons", [])}
    return state.get("running") is True and daemons == dict.fromkeys(
        ("map", "context", "archivist", "janitor", "production", "worker"), ("RUNNING", 0))


def task_done(project: Path, env: dict[str, str], text: str) -> bool:
    tasks = json.loads(run_kin(project, env, "task", "list", "--json").stdout or "[]")
    return any(t.get("text") == text and t.get("state") == "done" for t in tasks)


def works_on(project: Path, env: dict[str, str], run: TeamRun) -> None:
    """The team takes a new task and does it, every daemon running and never restarted; it stops cleanly, leaving
    no process and no traceback behind."""
    try:
        run_kin(project, env, "task", "add", "after the poison")
        wait_for(lambda: task_done(project, env, "after the poison"), 60,
                 lambda: f"the agent to do the task added after the poison\n{run.output[-3000:]}")
        wait_for(lambda: healthy(project, env), 30, lambda: f"every daemon running\n{run.output[-3000:]}")
    finally:
        assert run.stop() == 0, run.output[-3000:]
    assert team_processes(project) == []
    no_tracebacks(project)


def test_a_team_starts_on_hostile_files_and_works(worked, tmp_path, fake):
    project = copy_of(worked, tmp_path)
    got = poison(project, seed=1)  # each file its own poison
    assert len({kind for _, kind in got}) >= 5
    env = worked[1]
    run = TeamRun(project, "t", env)
    works_on(project, env, run)


def test_a_running_team_whose_files_turn_hostile_goes_on(worked, tmp_path, fake):
    project = copy_of(worked, tmp_path)
    env = worked[1]
    run = TeamRun(project, "t", env)
    try:
        wait_for(lambda: healthy(project, env) and list(project.rglob(".luciorbe.t.production")), 60,
                 lambda: run.output)
        for seed in (2, 3):  # twice: each daemon's own records, luciorbes and the team state, as they are written
            assert poison(project, seed=seed)
            time.sleep(0.5)
    except BaseException:
        run.kill_everything()
        raise
    works_on(project, env, run)
