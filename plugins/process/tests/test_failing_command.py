"""A `command` daemon whose command fails is visibly failing (team state, `kin status`, `--json`) and
`kin logs NAME` shows what the command printed; a command that works again is no longer failing."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from shadeos_core.testing import TeamRun, team_processes, wait_for

TEAM = """
[team]
name = "ci"
cycle = "0.2s"
stop_timeout = "5s"
[daemons.tests]
type = "command"
command = ["sh", "-c", "echo collecting 3 items; echo 'E   AssertionError: 1 != 2' >&2; exit 2"]
every = "1h"
[daemons.watcher]
type = "command"
mode = "monitored"
command = ["sh", "-c", "echo watching src; echo 'src/parser.py: syntax error' >&2; exit 3"]
every = "1h"
[daemons.missing]
type = "command"
command = ["kin-no-such-program", "--check"]
every = "1h"
[daemons.lint]
type = "command"
command = ["sh", "-c", "echo all clean"]
every = "1h"
"""


@pytest.fixture
def team(project, write) -> Iterator[TeamRun]:
    write("teams/ci.toml", TEAM)
    run = TeamRun(project, "ci", stderr_apart=True)
    try:
        yield run
    finally:
        run.kill_everything()


def cycled(run: TeamRun, names: list[str]) -> dict[str, dict]:
    """The daemons once each has finished a run (its progress says how it ended)."""
    def check() -> dict[str, dict] | None:
        daemons = {d["name"]: d for d in (run.state() or {}).get("daemons", [])}
        done = all((daemons.get(n) or {}).get("state") == "RUNNING" and (daemons[n].get("progress") or "")
                   for n in names)
        return daemons if done else None

    return wait_for(check, 30, lambda: f"a finished run of {names}: {run.state()}\n{run.output}")


def test_a_failing_command_is_failing_in_the_state_and_in_kin_status(team, project, kin):
    daemons = cycled(team, ["tests", "watcher", "missing", "lint"])
    assert daemons["tests"]["failing"] == "exit 2: E   AssertionError: 1 != 2"
    assert daemons["tests"]["progress"].startswith("exit 2 in ")
    assert daemons["watcher"]["failing"] == "exit 3: src/parser.py: syntax error"
    assert daemons["missing"]["failing"] == "command not found: 'kin-no-such-program'"
    assert daemons["lint"]["failing"] is None

    out = kin("status", cwd=project, check=True).stdout.splitlines()
    for name in ("tests", "watcher", "missing"):
        assert any(re.match(rf"{name}\s+RUNNING failing\s+{daemons[name]['pid']}\b", line) for line in out), out
    assert any(re.match(rf"lint\s+RUNNING\s+{daemons['lint']['pid']}\b", line) for line in out), out
    assert "  tests: failing  exit 2: E   AssertionError: 1 != 2" in out
    assert "  missing: failing  command not found: 'kin-no-such-program'" in out
    assert not any(line.startswith("  lint:") for line in out)

    shown = json.loads(kin("status", "--json", cwd=project, check=True).stdout)
    assert {d["name"]: d["failing"] for d in shown["daemons"]} == {
        "tests": "exit 2: E   AssertionError: 1 != 2", "watcher": "exit 3: src/parser.py: syntax error",
        "missing": "command not found: 'kin-no-such-program'", "lint": None}
    assert team.stop() == 0, team.output
    assert team_processes(project) == []


def test_kin_logs_shows_what_the_command_printed(team, project, kin):
    cycled(team, ["tests", "watcher"])
    tests = kin("logs", "tests", cwd=project, check=True).stdout
    assert re.search(r"INFO kin\.ci\.tests\.output: collecting 3 items$", tests, re.M), tests
    assert re.search(r"WARNING kin\.ci\.tests\.output: E   AssertionError: 1 != 2$", tests, re.M), tests
    assert re.search(r"WARNING kin\.ci\.tests: sh -c .*: exit 2 in \S+$", tests, re.M), tests
    watcher = kin("logs", "watcher", cwd=project, check=True).stdout
    assert re.search(r"INFO kin\.ci\.watcher\.output: watching src$", watcher, re.M), watcher
    assert re.search(r"WARNING kin\.ci\.watcher\.output: src/parser\.py: syntax error$", watcher, re.M), watcher
    assert team.stop() == 0, team.output


def test_a_command_that_works_again_is_no_longer_failing(project, write, kin):
    write("teams/ci.toml", """
        [team]
        name = "ci"
        cycle = "0.2s"
        [daemons.build]
        type = "command"
        command = ["sh", "-c", "if [ -e broken ]; then echo 'make: *** [all] Error 1' >&2; exit 1; fi; echo built"]
        watch = ["*.c"]
    """)
    (project / "broken").write_text("")
    run = TeamRun(project, "ci", stderr_apart=True)
    try:
        wait_for(lambda: (run.daemon("build") or {}).get("failing") == "exit 1: make: *** [all] Error 1", 30,
                 lambda: f"build failing: {run.daemon('build')}\n{run.output}")
        (project / "broken").unlink()
        (project / "main.c").write_text("int main(void) { return 0; }\n")  # the watch starts the next run
        fixed = wait_for(lambda: (d := run.daemon("build")) and (d.get("progress") or "").startswith("exit 0")
                         and d["state"] == "RUNNING" and d, 30, lambda: f"build passing: {run.daemon('build')}")
        assert fixed["failing"] is None
        out = kin("status", cwd=project, check=True).stdout
        assert "failing" not in out, out
        assert run.stop() == 0, run.output
    finally:
        run.kill_everything()
