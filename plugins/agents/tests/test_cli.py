"""`kin agents`, `kin agents history` and `kin models` as a person reads them, and their errors."""
from __future__ import annotations

import json

from agents_testkit import TeamRun, agent_team, call, scripted


def test_kin_agents_before_any_agent_ran_says_how_to_start_one(project, kin, llm_env):
    proc = kin("agents", cwd=project, env=llm_env, check=True)
    assert proc.stdout.strip() == f"no agent has run in {project} (start a team with agents: kin TEAM)"
    assert json.loads(kin("agents", "--json", cwd=project, env=llm_env, check=True).stdout) == []


def test_agents_and_their_history_read_well_and_bad_names_get_one_line(repo, fake, llm_env, runs, kin):
    fake.script = scripted("Write docs/intro.md", [call("write_file", path="docs/intro.md", content="# Intro\n")])
    (repo / "teams").mkdir()
    (repo / "teams/duo.toml").write_text(agent_team("duo", {"writer": {"model": "fake-tools"},
                                                            "checker": {"model": "fake-plain"}}))
    runs.append(run := TeamRun(repo, "duo", llm_env))
    run.cycles("writer")
    run.cycles("checker")
    table = kin("agents", cwd=repo, env=llm_env, check=True).stdout
    assert "duo.writer" in table and "fake-tools" in table and "duo.checker" in table
    history = kin("agents", "history", "writer", cwd=repo, env=llm_env, check=True).stdout
    assert "Write docs/intro.md" in history and "docs/intro.md" in history
    rows = json.loads(kin("agents", "history", "duo.writer", "-n", "1", "--json", cwd=repo, env=llm_env,
                          check=True).stdout)
    assert len(rows) == 1 and rows[0]["task"] == "Write docs/intro.md"
    proc = kin("agents", "history", "writter", cwd=repo, env=llm_env)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"kin: error: no agent named 'writter' has run in {repo} (did you mean 'writer'?)"
    assert run.stop() == 0
    stopped = json.loads(kin("agents", "--json", cwd=repo, env=llm_env, check=True).stdout)
    assert {a["daemon_id"]: a["state"] for a in stopped} == {"duo.checker": "stopped", "duo.writer": "stopped"}


def test_kin_models_marks_the_default_and_says_how_to_set_a_missing_key(project, kin, llm_env, write):
    write("kin.toml", '[agents]\nmodel = "fake-keyed"\n')
    out = kin("models", cwd=project, env=llm_env, check=True).stdout
    lines = out.splitlines()
    assert lines[0] == "kin's default model: fake-keyed (from kin.toml) — no key: run llm keys set fake"
    assert any(line.strip().startswith("* fake-keyed") for line in lines)
    assert "set a missing key with: llm keys set fake" in out


def test_the_live_dashboard_shows_each_agents_task_model_and_tokens(repo, fake, llm_env):
    import os
    import pty
    import select
    import signal
    import subprocess
    import sys
    import time

    fake.script = scripted("Write docs/intro.md", [call("write_file", path="docs/intro.md", content="# Intro\n")])
    (repo / "teams").mkdir()
    (repo / "teams/solo.toml").write_text(agent_team("solo", {"writer": {"model": "fake-tools"}}))
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "shadeos_core", "solo"], cwd=repo, stdin=slave, stdout=slave,
                            stderr=slave, env={**os.environ, **llm_env, "COLUMNS": "200", "LINES": "40",
                                               "TERM": "xterm"}, start_new_session=True)
    os.close(slave)
    screen = b""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and b"300/60" not in screen:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:
                    break
        text = screen.decode("utf-8", "replace")
        assert "300/60" in text and "fake-tools" in text and "Write docs/intro.md" in text
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        os.close(master)
