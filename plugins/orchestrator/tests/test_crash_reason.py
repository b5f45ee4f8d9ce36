"""A daemon that crashes says why: the last line it wrote on stderr, beside its state, in the team state,
`kin status` and `kin status --json`; and a later death without a word does not repeat an old one."""
from __future__ import annotations

import json
import os
import re
import signal

from orchestrator_testkit import child_env, team_toml

PLUGINS = "orchestrator_testdaemons,crash_testdaemons"
MISSING = "ModuleNotFoundError: No module named 'kin_no_such_module'"


def status_lines(kin, project) -> list[str]:
    return kin("status", cwd=project, env=child_env(KIN_PLUGINS=PLUGINS), check=True).stdout.splitlines()


def test_a_daemon_that_cannot_start_shows_its_error_while_it_backs_off_and_once_fatal(project, write, run_team, kin):
    write("teams/t.toml", team_toml(daemons={
        "production-assistant": {"type": "sleeper"},
        "broken": {"type": "unimportable", "start_seconds": '"5s"', "start_retries": 2}}))
    run = run_team("t", KIN_PLUGINS=PLUGINS)
    run.wait_state("broken", "BACKOFF", last_error=lambda line: line == MISSING)
    fatal = run.wait_state("broken", "FATAL", timeout=30)
    assert fatal["last_error"] == MISSING
    assert fatal["reason"] == "exited too quickly 3 times in a row"

    lines = status_lines(kin, project)
    assert f"  broken: FATAL  {MISSING}" in lines
    assert any(re.match(r"broken\s+FATAL\s", line) for line in lines), lines
    shown = json.loads(kin("status", "--json", cwd=project, env=child_env(KIN_PLUGINS=PLUGINS), check=True).stdout)
    assert {d["name"]: d["last_error"] for d in shown["daemons"]} == {"production-assistant": None, "broken": MISSING}

    assert run.stop() == 0, run.output
    last = run.out_path.read_text().splitlines()[-1]
    assert re.fullmatch(r"team t stopped after \S+: 1 daemon stopped, 1 FATAL \(broken\), 0 restarts", last), last


def test_a_daemon_that_dies_after_running_shows_the_last_line_it_wrote(project, write, run_team, kin):
    write("teams/t.toml", team_toml(daemons={
        "indexer": {"type": "complainer", "restart": "never", "words": "RuntimeError: the index is corrupt"}}))
    run = run_team("t", KIN_PLUGINS=PLUGINS)
    exited = run.wait_state("indexer", "EXITED")
    assert exited["exit_code"] == 1 and exited["last_error"] == "RuntimeError: the index is corrupt"
    assert "  indexer: EXITED  RuntimeError: the index is corrupt" in status_lines(kin, project)
    assert run.stop() == 0, run.output


def test_a_silent_death_does_not_show_the_words_of_an_earlier_life(project, write, run_team, kin):
    # the first life complains and dies; the second stays quiet until it is killed, and one restart
    # within the flap window makes that death FATAL
    write("teams/t.toml", team_toml(team={"flap_restarts": 1}, daemons={
        "indexer": {"type": "complainer", "once": True, "words": "RuntimeError: the index is corrupt"}}))
    run = run_team("t", KIN_PLUGINS=PLUGINS)
    second = run.wait_state("indexer", "RUNNING", restarts=lambda n: n == 1)
    os.kill(second["pid"], signal.SIGKILL)
    fatal = run.wait_state("indexer", "FATAL")
    assert fatal["exit_code"] == -9 and fatal["last_error"] is None
    lines = status_lines(kin, project)
    assert "  indexer: FATAL  restarted 1 times within 60s (flapping)" in lines
    assert not any("the index is corrupt" in line for line in lines), lines
    assert run.stop() == 0, run.output
