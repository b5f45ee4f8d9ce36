"""When the model fails, times out, rate-limits, has no key, or the budget is spent: the agent waits or records an
error, and the daemon stays RUNNING (never a crash loop to FATAL)."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import time

from agents_testkit import Reply, Request, TeamRun, agent_team, call, scripted, team_processes, wait_for


def start(repo, llm_env, runs, **agent):
    (repo / "teams").mkdir(exist_ok=True)
    (repo / "teams" / "solo.toml").write_text(agent_team("solo", {"production": {"model": "fake-tools", **agent}}))
    runs.append(run := TeamRun(repo, "solo", llm_env))
    return run


def running_without_restarts(run: TeamRun) -> None:
    daemon = run.daemon("production")
    assert daemon is not None and daemon["state"] == "RUNNING" and daemon["restarts"] == 0, daemon


def test_a_provider_answering_500_costs_retries_then_an_error_cycle_not_a_crash(repo, fake, llm_env, runs):
    fake.script = lambda request: Reply(status=500, text="upstream exploded")
    run = start(repo, llm_env, runs, retries=1, every="1s")
    cycles = run.cycles("production", at_least=2, timeout=90)
    assert [c["outcome"] for c in cycles[:2]] == ["error", "error"]
    assert "model fake-tools: http 500" in cycles[0]["error"]
    log = (repo / ".kin/logs/solo.production.log").read_text()
    assert "http 500" in log and "retrying in 0.1s" in log  # our retry, after the client's own
    running_without_restarts(run)
    assert run.stop() == 0


def test_a_model_that_does_not_answer_in_time_is_a_timeout_error(repo, fake, llm_env, runs):
    fake.script = lambda request: Reply(text="too late", delay=60)
    run = start(repo, llm_env, runs, timeout="1s", retries=1)
    cycle = run.cycles("production", timeout=60)[0]
    assert cycle["outcome"] == "error"
    assert cycle["error"] == "model fake-tools: timeout: no answer from fake-tools within 1s"
    running_without_restarts(run)
    assert run.stop() == 0


def test_a_rate_limit_is_waited_out_as_long_as_retry_after_says(repo, fake, llm_env, runs):
    limited = iter(range(3))  # the client's own attempt and its two retries: then it is ours to wait

    def script(request: Request) -> Reply:
        if next(limited, None) is not None:
            return Reply(status=429, text="slow down", headers={"Retry-After": "2"})
        return scripted("Add a note", [call("write_file", path="note.txt", content="n\n")])(request)

    fake.script = script
    run = start(repo, llm_env, runs, retries=2)
    cycle = run.cycles("production", timeout=90)[0]
    assert cycle["outcome"] == "ok", cycle
    log = (repo / ".kin/logs/solo.production.log").read_text()
    assert re.search(r"rate limit: .*slow down.*; retrying in 2\.0s", log)
    assert (repo / "note.txt").read_text() == "n\n"


def test_garbage_from_the_provider_is_an_error_cycle(repo, fake, llm_env, runs):
    fake.script = lambda request: Reply(body=b"<html>proxy error</html>")
    run = start(repo, llm_env, runs)
    cycle = run.cycles("production", timeout=60)[0]
    assert cycle["outcome"] == "error" and "model fake-tools:" in cycle["error"]
    running_without_restarts(run)


def test_a_missing_key_leaves_the_agent_waiting_with_one_line_then_it_works_once_set(repo, fake, llm_env, runs, kin,
                                                                                      tmp_path):
    secret = "sk-test-secret-4242-never-written"
    fake.script = scripted("Write KEYED.md", [call("write_file", path="KEYED.md", content="keyed\n")])
    run = start(repo, llm_env, runs, model="fake-keyed", every="0.5s")
    cycle = run.cycles("production")[0]
    line = "waiting: no key for fake-keyed — run: llm keys set fake (or set $OPENAI_API_KEY)"
    assert (cycle["outcome"], cycle["error"]) == ("waiting", line)
    luciorbe = wait_for(lambda: (d := json.loads((repo / ".luciorbe.solo.production").read_text()))
                        and d["progress"] == line and d, 20, "the waiting line in the luciorbe")
    assert luciorbe["waiting"] == line
    wait_for(lambda: f"production: {line}" in kin("status", cwd=repo, env=llm_env, check=True).stdout, 30,
             "kin status to show the waiting line")  # the orchestrator publishes what the luciorbe says
    agents = json.loads(kin("agents", "--json", cwd=repo, env=llm_env, check=True).stdout)
    assert (agents[0]["state"], agents[0]["reason"]) == ("waiting", line)
    time.sleep(1.5)  # several triggers pass while it waits: one history line for the whole wait, no request
    assert len(run.cycles("production")) == 1 and fake.requests == []
    (tmp_path / "llm" / "keys.json").write_text(json.dumps({"fake": secret}))
    cycle = run.cycles("production", at_least=2)[1]
    assert cycle["outcome"] == "ok" and (repo / "KEYED.md").exists()
    assert all(r.headers["authorization"] == f"Bearer {secret}" for r in fake.requests)
    assert run.stop() == 0
    # the key went to the provider and nowhere else: not in .kin/, the project, its git history or the output
    for path in [*repo.rglob("*"), run.out_path]:
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert secret not in subprocess.run(["git", "log", "-p", "--all"], cwd=repo, capture_output=True,
                                        text=True).stdout


def test_a_spent_budget_pauses_the_agent_and_no_model_call_is_made_past_it(repo, fake, llm_env, runs, kin):
    fake.script = scripted("Write a long story", [call("write_file", path="story.md", content="once\n"),
                                                  call("edit_file", path="story.md", search="once", replace="twice")])
    run = start(repo, llm_env, runs, tokens_per_hour=150, every="0.3s")
    cycle = run.cycles("production")[0]
    # 120 tokens for choosing, 120 for the first turn: 240 >= 150, so the second turn is never asked for
    assert cycle["outcome"] == "budget" and cycle["error"].startswith("paused: tokens_per_hour spent (240/150)")
    assert len(fake.requests) == 2
    assert (repo / "story.md").read_text() == "once\n" and cycle["commit"]  # what was done is kept and committed
    time.sleep(1.5)
    assert len(fake.requests) == 2 and len(run.cycles("production")) == 1
    agents = json.loads(kin("agents", "--json", cwd=repo, env=llm_env, check=True).stdout)
    assert agents[0]["state"] == "paused" and agents[0]["reason"].startswith("paused: tokens_per_hour spent")
    wait_for(lambda: json.loads(kin("status", "--json", cwd=repo, env=llm_env, check=True).stdout)["daemons"][0][
        "progress"].startswith("paused: tokens_per_hour spent (240/150), resumes at "), 30, "kin status: paused")
    running_without_restarts(run)


def test_the_team_budget_in_kin_toml_pauses_every_agent_of_the_team(repo, fake, llm_env, runs):
    (repo / "kin.toml").write_text("[agents]\ntokens_per_day = 100\n")
    fake.script = lambda request: Reply(text="NOTHING TO DO")
    (repo / "teams").mkdir()
    (repo / "teams/duo.toml").write_text(agent_team("duo", {"a": {"model": "fake-tools"},
                                                            "b": {"model": "fake-tools", "every": "0.5s"}}))
    runs.append(run := TeamRun(repo, "duo", llm_env))
    first = [run.cycles("a")[0], run.cycles("b")[0]]
    assert sorted(c["outcome"] for c in first) in (["budget", "nothing-to-do"], ["nothing-to-do", "nothing-to-do"])
    # b's first cycle may come after a's spent the budget: then it is the pause itself, recorded once (a wait for
    # the same reason is not recorded again); else its next cycle is
    later = first[1] if first[1]["outcome"] == "budget" else run.cycles("b", at_least=2)[-1]
    assert later["outcome"] == "budget" and "team duo tokens_per_day spent" in later["error"]


def test_ctrl_c_during_a_model_call_stops_the_agent_within_its_stop_timeout(repo, fake, llm_env, runs):
    fake.script = lambda request: Reply(text="much too late", delay=120)
    run = start(repo, llm_env, runs, timeout="5m")
    wait_for(lambda: fake.requests, 60, "the model call in flight")
    run.proc.send_signal(signal.SIGINT)
    assert run.proc.wait(timeout=30) == 0, run.output
    assert team_processes(repo) == [] and not list(repo.rglob(".luciorbe*"))
    assert run.cycles("production")[0]["outcome"] == "interrupted"


def test_a_refused_connection_is_an_error_cycle_with_the_daemon_running(repo, fake, llm_env, runs, tmp_path):
    import socket

    from agents_testkit import llm_home

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    env = llm_home(tmp_path / "llm-down", fake.url, models=[
        {"model_id": "fake-down", "model_name": "down", "supports_tools": True,
         "api_base": f"http://127.0.0.1:{port}/v1"}])
    run = start(repo, env, runs, model="fake-down", retries=1)
    cycle = run.cycles("production", timeout=90)[0]
    assert cycle["outcome"] == "error" and cycle["error"].startswith("model fake-down: connection:")
    running_without_restarts(run)


def test_what_a_provider_says_about_a_key_is_never_recorded(repo, fake, llm_env, runs):
    fake.script = lambda request: Reply(status=400, text="Invalid request with key sk-proj-ABCDEF1234567890abcdef "
                                                         "(header Bearer sk-proj-ABCDEF1234567890abcdef)")
    run = start(repo, llm_env, runs)
    cycle = run.cycles("production", timeout=60)[0]
    assert cycle["outcome"] == "error" and "http 400" in cycle["error"]
    assert "ABCDEF1234567890" not in json.dumps(cycle) and "sk-[redacted]" in cycle["error"]
    assert len(fake.requests) == 1  # a 400 is not worth another attempt
