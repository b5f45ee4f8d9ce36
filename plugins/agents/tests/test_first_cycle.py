"""A first end-to-end cycle, to shape the rest."""
from __future__ import annotations

import json

from agents_testkit import TeamRun, agent_team, call, git, scripted


def test_a_tool_model_creates_then_edits_a_file_and_commits(repo, fake, llm_env, runs, kin):
    fake.script = scripted("Create hello.py with a greet function", [
        call("write_file", path="hello.py", content="def greet():\n    return 'hi'\n"),
        call("edit_file", path="hello.py", search="'hi'", replace="'hello'"),
    ])
    (repo / "teams").mkdir()
    (repo / "teams/solo.toml").write_text(agent_team("solo", {"production": {"model": "fake-tools"}}))
    runs.append(run := TeamRun(repo, "solo", llm_env))
    cycle = run.cycles("production")[0]
    assert cycle["outcome"] == "ok", cycle
    assert (repo / "hello.py").read_text() == "def greet():\n    return 'hello'\n"
    log = git(repo, "log", "--format=%an|%ae|%s", "-1")
    assert log.strip() == "production (kin)|solo.production@kin|Create hello.py with a greet function"
    agents = json.loads(kin("agents", "--json", cwd=repo, env=llm_env, check=True).stdout)
    assert agents[0]["daemon_id"] == "solo.production" and agents[0]["cycles"] == 1
    assert run.stop() == 0
