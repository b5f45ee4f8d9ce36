"""The newcomer's story across every builtin plugin: `kin init`, `kin default`, look around, Ctrl+C."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import kill_group, wait_for

from shadeos_core.testing import team_processes

pytestmark = pytest.mark.slow


def state(project: Path, team: str) -> dict[str, Any] | None:
    try:
        return json.loads((project / ".kin/run/teams" / f"{team}.json").read_text())
    except (OSError, ValueError):
        return None


def all_running(project: Path, team: str, names: set[str]) -> dict[str, Any] | None:
    current = state(project, team)
    if not current:
        return None
    daemons = {d["name"]: d for d in current["daemons"]}
    if set(daemons) >= names and all(daemons[n]["state"] == "RUNNING" for n in names):
        return daemons
    return None


def start(project: Path, *args: str) -> subprocess.Popen[str]:
    with open(project.parent / "kin.out", "w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "shadeos_core", *args], cwd=project, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, start_new_session=True)


def output(project: Path) -> str:
    return (project.parent / "kin.out").read_text(errors="replace")


@pytest.fixture
def fresh(tmp_path: Path):
    project = tmp_path / "newcomer"
    project.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    (project / "README.md").write_text("# A project\n\nSome words to map.\n")
    procs: list[subprocess.Popen[str]] = []
    yield project, procs
    for proc in procs:
        kill_group(proc)
    for leftover in team_processes(project):
        leftover.kill()


def test_init_then_default_runs_every_meta_daemon_and_ctrl_c_leaves_nothing(fresh, kin):
    project, procs = fresh
    kin("init", cwd=project, check=True)
    default = (project / "teams/default.toml").read_text()
    for meta in ("janitor", "map", "archivist", "context"):
        assert f"[meta.{meta}]" in default

    procs.append(run := start(project, "default"))
    daemons = wait_for(lambda: all_running(project, "default", {"janitor", "map", "archivist", "context"}),
                       timeout=60, what="every meta-daemon RUNNING")
    assert all(d["pid"] for d in daemons.values())
    assert {p.pid for p in team_processes(project)} >= {d["pid"] for d in daemons.values()}

    # each daemon's heartbeat is in plain sight at the root
    for meta in ("janitor", "map", "archivist", "context"):
        wait_for(lambda meta=meta: (project / f".luciorbe.default.{meta}").exists(), timeout=30,
                 what=f"the {meta} luciorbe")
    status = json.loads(kin("status", "--json", cwd=project, check=True).stdout)
    assert status["team"] == "default" and status["pid"] == run.pid and status["running"] is True

    # the map daemon keeps the map and the phase; the archivist indexes a memory stored from outside
    wait_for(lambda: (project / ".kin/map.md").exists() and (project / ".kin/state/phase.json").exists(),
             timeout=30, what="the map and the phase file")
    assert json.loads((project / ".kin/state/phase.json").read_text())["phase"] == "expansion"
    kin("memory", "add", "the parser must accept unicode identifiers", cwd=project, check=True)
    found = json.loads(kin("memory", "search", "unicode parser", "--json", cwd=project, check=True).stdout)
    assert [hit["content"] for hit in found] == ["the parser must accept unicode identifiers"]
    assert kin("check", cwd=project).returncode == 0

    # with no model configured, every agent of the default team that works in this phase (expansion: the project
    # is small) waits and says in one line how to go on; the convergence role (evaluation) is not started
    working = {"specifications", "management", "chroniqueur", "documentaliste"}
    waiting = re.compile(r"^waiting: no model configured \(llm's default \S+ needs a key\) — run: llm keys set \w+, "
                         r"or set \[agents\] model in kin\.toml \(kin models lists them; a local model: "
                         r"llm install llm-ollama\)$")

    def agents() -> dict[str, dict[str, Any]]:
        return {a["daemon_id"].split(".")[1]: a for a in json.loads(kin("agents", "--json", cwd=project).stdout)}

    rows = wait_for(lambda: (r := agents()) and all(r.get(n, {}).get("state") == "waiting" for n in working) and r,
                    timeout=60, what=lambda: f"every working agent waiting for a model: {agents()}")
    assert all(waiting.match(rows[n]["reason"]) for n in working), rows
    wait_for(lambda: agents()["evaluation"]["process"] == "STOPPED", timeout=60, what="evaluation stopped")
    # below the table (which may cut the progress column), one whole line per waiting agent
    said = re.compile(r"^  (\w+): waiting: no model configured \(", re.M)
    wait_for(lambda: set(said.findall(kin("status", cwd=project, check=True).stdout)) == working, timeout=30,
             what="kin status saying what each agent waits for")
    assert all(d["restarts"] == 0 for d in json.loads(kin("status", "--json", cwd=project, check=True).stdout)["daemons"])

    run.send_signal(signal.SIGINT)
    assert run.wait(timeout=60) == 0, output(project)
    assert team_processes(project) == []
    assert list(project.rglob(".luciorbe*")) == []
    assert json.loads(kin("status", "--json", cwd=project, check=True).stdout)["running"] is False


def test_a_team_of_command_daemons_is_supervised(fresh, kin):
    project, procs = fresh
    (project / "teams").mkdir()
    (project / "teams/ci.toml").write_text(f"""
[team]
description = "two programs on a loop, supervised"
cycle = "0.2s"

[daemons.tick]
type = "command"
command = [{json.dumps(sys.executable)}, "-c", "print('tick')"]
every = "0.3s"
heartbeat = "0.5s"
start_seconds = "0.3s"

[daemons.failing]
type = "command"
command = [{json.dumps(sys.executable)}, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"]
every = "0.3s"
heartbeat = "0.5s"
start_seconds = "0.3s"

[meta.janitor]
every = "1s"
""")
    procs.append(run := start(project, "ci"))
    daemons = wait_for(lambda: all_running(project, "ci", {"tick", "failing", "janitor"}), timeout=60,
                       what="the command daemons RUNNING")

    def progress(name: str) -> str:
        try:
            return json.loads((project / f".luciorbe.ci.{name}").read_text())["progress"]
        except (OSError, ValueError, KeyError):
            return ""

    # a failing command is a result of the cycle, not a crash of the daemon
    wait_for(lambda: "exit 0" in progress("tick") and "exit 3" in progress("failing"), timeout=30,
             what="each command's exit code in its luciorbe")

    assert {p.pid for p in team_processes(project)} >= {d["pid"] for d in daemons.values()}
    old_pid = daemons["tick"]["pid"]
    os.kill(old_pid, signal.SIGKILL)
    wait_for(lambda: (d := all_running(project, "ci", {"tick"})) and d["tick"]["pid"] != old_pid
             and d["tick"]["restarts"] == 1, timeout=30, what="the killed daemon restarted")

    stop = kin("stop", "ci", cwd=project)
    assert stop.returncode == 0, stop.stderr
    assert run.wait(timeout=60) == 0, output(project)
    assert team_processes(project) == [] and list(project.rglob(".luciorbe*")) == []
