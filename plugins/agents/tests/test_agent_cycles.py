"""Agents at work as a user runs them: `kin <team>` in a real git repository, then the files, commits and records."""
from __future__ import annotations

import json
import re
import subprocess

from agents_testkit import Reply, Request, TeamRun, agent_team, call, git, history, is_choosing, scripted, wait_for


def start(repo, llm_env, runs, agents, name="solo", **team):
    (repo / "teams").mkdir(exist_ok=True)
    (repo / "teams" / f"{name}.toml").write_text(agent_team(name, agents, team=team or None))
    runs.append(run := TeamRun(repo, name, llm_env))
    return run


def test_a_tool_model_creates_then_edits_a_file_and_commits_it_as_the_agent(repo, fake, llm_env, runs, kin):
    fake.script = scripted("Create hello.py with a greet function", [
        call("write_file", path="hello.py", content="def greet():\n    return 'hi'\n"),
        call("edit_file", path="hello.py", search="'hi'", replace="'hello'"),
    ])
    run = start(repo, llm_env, runs, {"production": {"model": "fake-tools"}})
    cycle = run.cycles("production")[0]
    assert (cycle["outcome"], cycle["task"], cycle["task_source"]) == ("ok", "Create hello.py with a greet function",
                                                                       "model")
    assert [(s["tool"], s["outcome"]) for s in cycle["steps"]] == [("write_file", "ok"), ("edit_file", "ok"),
                                                                  ("finish", "ok")]
    assert [(e["path"], e["op"], e["outcome"]) for e in cycle["edits"]] == [("hello.py", "create", "applied"),
                                                                           ("hello.py", "edit", "applied")]
    assert cycle["input_tokens"] == 400 and cycle["output_tokens"] == 80  # 4 calls as the server reported them
    assert (repo / "hello.py").read_text() == "def greet():\n    return 'hello'\n"
    log = git(repo, "log", "--format=%an|%ae|%s|%H", "-1").strip().split("|")
    assert log[:3] == ["production (kin)", "solo.production@kin", "Create hello.py with a greet function"]
    assert log[3].startswith(cycle["commit"])
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["hello.py"]
    # every request went through llm's OpenAI client, streamed, with the tools named by the design
    assert all(r.body.get("stream") is True for r in fake.requests)
    assert set(fake.requests[1].tools) == {"list_files", "read_file", "search_files", "edit_file", "write_file",
                                           "run_command", "recall", "remember", "send_message", "add_task", "finish"}
    agents = json.loads(kin("agents", "--json", cwd=repo, env=llm_env, check=True).stdout)
    assert {k: agents[0][k] for k in ("daemon_id", "role", "model", "state", "cycles", "input_tokens",
                                      "output_tokens", "last_task", "last_outcome")} == {
        "daemon_id": "solo.production", "role": "production", "model": "fake-tools", "state": "idle", "cycles": 1,
        "input_tokens": 400, "output_tokens": 80, "last_task": "Create hello.py with a greet function",
        "last_outcome": "ok"}
    shown = json.loads(kin("agents", "history", "production", "--json", cwd=repo, env=llm_env, check=True).stdout)
    assert shown[0]["commit"] == cycle["commit"] and shown[0]["edits"][0]["path"] == "hello.py"
    production = wait_for(lambda: (d := json.loads(kin("status", "--json", cwd=repo, env=llm_env,
                                                        check=True).stdout)["daemons"][0])["input_tokens"] == 400 and d,
                          30, "kin status to show the tokens")
    assert (production["model"], production["input_tokens"], production["output_tokens"]) == ("fake-tools", 400, 80)
    assert run.stop() == 0


def test_a_model_without_tools_edits_and_creates_files_with_search_replace_blocks(repo, fake, llm_env, runs):
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    subprocess.run(["git", "add", "calc.py"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "calc"], cwd=repo, check=True)
    reply = ("calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n\n"
             "test_calc.py\n```python\n<<<<<<< SEARCH\n=======\nfrom calc import add\n\n\ndef test_add():\n"
             "    assert add(2, 3) == 5\n>>>>>>> REPLACE\n```\n")
    fake.script = lambda request: Reply(text="Fix add in calc.py and test it" if is_choosing(request) else reply)
    run = start(repo, llm_env, runs, {"production": {"model": "fake-plain"}})
    cycle = run.cycles("production")[0]
    assert cycle["outcome"] == "ok", cycle
    assert [s["tool"] for s in cycle["steps"]] == ["search_replace", "search_replace"]
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert (repo / "test_calc.py").read_text().startswith("from calc import add\n")
    assert sorted(git(repo, "show", "--name-only", "--format=", "HEAD").split()) == ["calc.py", "test_calc.py"]
    assert all(r.body.get("stream") is False for r in fake.requests)  # the JSON form of the API
    assert "calc.py" in fake.requests[1].system and "return a - b" in fake.requests[1].system  # the file it names


def test_a_search_that_does_not_match_comes_back_with_the_closest_lines_and_the_model_corrects_it(
        repo, fake, llm_env, runs):
    (repo / "greet.py").write_text("def greet():\n    return 'hi'\n")
    wrong = "greet.py\n<<<<<<< SEARCH\ndef greet():\n  return 'hi'\n=======\ndef greet():\n  return 'hey'\n" \
            ">>>>>>> REPLACE\n"
    right = "greet.py\n<<<<<<< SEARCH\n    return 'hi'\n=======\n    return 'hey'\n>>>>>>> REPLACE\n"

    def script(request: Request) -> Reply:
        if is_choosing(request):
            return Reply(text="Make greet.py say hey")
        return Reply(text=right if "closest lines are 1-2" in request.last_user else wrong)

    fake.script = script
    run = start(repo, llm_env, runs, {"production": {"model": "fake-plain"}})
    cycle = run.cycles("production")[0]
    assert cycle["outcome"] == "ok"
    assert [s["outcome"] for s in cycle["steps"]] == ["error", "ok"]
    assert (repo / "greet.py").read_text() == "def greet():\n    return 'hey'\n"
    feedback = fake.requests[-1].last_user
    assert "SEARCH does not match greet.py exactly" in feedback and "def greet():\n    return 'hi'" in feedback


def test_a_task_added_for_an_agent_is_handed_to_it_done_and_committed_under_its_text(repo, fake, llm_env, runs, kin):
    def script(request: Request) -> Reply:
        if is_choosing(request):
            return Reply(text="NOTHING TO DO")
        if request.turns == 0:
            return Reply(tool_calls=[call("write_file", path="CHANGELOG.md", content="# Changelog\n")])
        return Reply(tool_calls=[call("finish", summary="changelog started")])

    fake.script = script
    run = start(repo, llm_env, runs, {"production": {"model": "fake-tools"}, "reviewer": {"model": "fake-tools"}})
    assert run.cycles("production")[0]["outcome"] == "nothing-to-do"
    run.cycles("reviewer")
    added = json.loads(kin("task", "add", "Start a CHANGELOG.md", "--to", "production", "--json", cwd=repo,
                           env=llm_env, check=True).stdout)
    cycle = run.cycles("production", at_least=2)[-1]
    assert (cycle["task"], cycle["task_id"], cycle["task_source"], cycle["outcome"]) == (
        "Start a CHANGELOG.md", added["id"], "queue", "ok")
    assert git(repo, "log", "--format=%an|%s", "-1").strip() == "production (kin)|Start a CHANGELOG.md"
    done = wait_for(lambda: [t for t in json.loads(kin("task", "list", "--json", cwd=repo, env=llm_env).stdout)
                             if t["state"] == "done"], 20, "the task done")
    assert done[0]["holder"] == "solo.production" and done[0]["result"]["outcome"] == "ok"
    assert len(history(repo, "solo.reviewer")) == 1  # the reviewer never got it
    assert run.stop() == 0


def test_every_refused_path_is_reported_to_the_model_and_nothing_is_written_anywhere(repo, fake, llm_env, runs,
                                                                                       tmp_path):
    (repo / ".env").write_text("TOKEN=1\n")
    (tmp_path / "outside").mkdir()
    (repo / "escape").symlink_to(tmp_path / "outside")
    attempts = ["../outside/evil.txt", str(tmp_path / "abs.txt"), ".git/hooks/pre-commit", ".kin/tasks/new/x.json",
                ".luciorbe.solo.other", ".env", "escape/evil.txt", "docs/not-mine.md"]
    fake.script = scripted("Try to write everywhere",
                           [call("write_file", path=p, content="pwned\n") for p in attempts])
    (repo / "teams").mkdir()
    (repo / "teams" / "solo.toml").write_text(agent_team("solo", {"production": {"model": "fake-tools",
                                                                              "files": ["src/**"]}}))

    def files() -> dict:
        return {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file() and ".kin" not in p.parts
                and not p.name.startswith(".luciorbe") and not p.name.endswith(".out")}

    before = files()
    head = git(repo, "rev-parse", "HEAD")
    runs.append(run := TeamRun(repo, "solo", llm_env))
    cycle = run.cycles("production")[0]
    assert cycle["outcome"] == "refused"
    assert [s["outcome"] for s in cycle["steps"]][:len(attempts)] == ["refused"] * len(attempts)
    results = list(fake.requests[-1].all_tool_results)
    for reason in ("'..' is refused", "absolute paths are refused", ".git/ is off limits", ".kin/ is off limits",
                   "luciorbe files belong", "holds secrets", "leads outside the project",
                   "outside what this agent may change"):
        assert any(reason in r for r in results), (reason, results)
    assert files() == before  # not one file created or touched, in the project or beside it
    assert not list(tmp_path.rglob("evil.txt")) and not (tmp_path / "abs.txt").exists()
    assert (repo / ".env").read_text() == "TOKEN=1\n"
    assert git(repo, "rev-parse", "HEAD") == head  # nothing committed


def test_other_uncommitted_work_is_never_swept_into_an_agents_commit(repo, fake, llm_env, runs):
    (repo / "mine.txt").write_text("the user's work in progress\n")
    (repo / "staged.txt").write_text("staged by the user\n")
    subprocess.run(["git", "add", "staged.txt"], cwd=repo, check=True)
    fake.script = scripted("Add TODO.md", [call("write_file", path="TODO.md", content="- one\n")])
    run = start(repo, llm_env, runs, {"production": {"model": "fake-tools"}})
    assert run.cycles("production")[0]["outcome"] == "ok"
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["TODO.md"]
    status = git(repo, "status", "--porcelain")
    assert "A  staged.txt" in status and "?? mine.txt" in status


def test_outside_a_git_repository_edits_are_made_and_the_missing_commit_is_said_once(project, fake, llm_env, runs):
    counter = iter(range(1, 100))

    def script(request: Request) -> Reply:
        if is_choosing(request):
            return Reply(text=f"Write note {next(counter)}")
        if request.turns == 0:
            number = re.search(r"Your task: Write note (\d+)", request.last_user).group(1)
            return Reply(tool_calls=[call("write_file", path=f"note{number}.txt", content="x\n")])
        return Reply(tool_calls=[call("finish", summary="ok")])

    fake.script = script
    run = start(project, llm_env, runs, {"production": {"model": "fake-tools", "every": "0.5s"}})
    cycles = run.cycles("production", at_least=2)
    assert [c["outcome"] for c in cycles[:2]] == ["ok", "ok"] and [c["commit"] for c in cycles[:2]] == [None, None]
    assert (project / "note1.txt").exists() and (project / "note2.txt").exists()
    assert cycles[0]["notes"] == ["not a git repository: no commit"] and cycles[1]["notes"] == []
    log = (project / ".kin" / "logs" / "solo.production.log").read_text()
    assert log.count("not a git repository") == 1


def test_run_command_runs_only_allowed_commands_through_the_process_plugin(repo, fake, llm_env, runs):
    (repo / "check.py").write_text("import sys\nprint('checked', sys.argv[1:])\nsys.exit(3)\n")
    fake.script = scripted("Run the checks", [call("run_command", command="python3 check.py --fast"),
                                              call("run_command", command="rm -rf /"),
                                              call("run_command", command="python3 -c 'print(1)'")])
    run = start(repo, llm_env, runs, {"production": {"model": "fake-tools", "commands": ["python3 check.py"]}})
    cycle = run.cycles("production")[0]
    assert [s["outcome"] for s in cycle["steps"]] == ["ok", "error", "error", "ok"]
    results = fake.requests[-1].all_tool_results
    assert results[0] == "exit code 3\nchecked ['--fast']"
    assert results[1] == "error: 'rm -rf /' is not allowed; allowed: python3 check.py"
    assert results[2].startswith("error: \"python3 -c 'print(1)'\" is not allowed")
    assert cycle["outcome"] == "ok" and cycle["notes"] == ["ran python3 check.py --fast: exit code 3"]


def test_what_an_agent_did_becomes_a_memory_and_secrets_never_reach_the_model(repo, fake, llm_env, runs, kin):
    (repo / ".env").write_text("API_TOKEN=tok-do-not-send-9876\n")
    (repo / "docs").mkdir()
    (repo / "docs/guide.md").write_text("# Guide\nUse the parser.\n")
    (repo / "docs/.env.local").write_text("API_TOKEN=tok-do-not-send-9876\n")
    fake.script = scripted("Summarise docs/guide.md and .env into SUMMARY.md",
                           [call("read_file", path=".env"),
                            call("write_file", path="SUMMARY.md", content="The guide says: use the parser.\n")])
    run = start(repo, llm_env, runs, {"production": {"model": "fake-tools", "read": ["docs/**", "*.env*", ".env"]}})
    cycle = run.cycles("production")[0]
    assert cycle["outcome"] == "ok"
    work = fake.requests[1]
    assert "docs/guide.md" in work.system and "Use the parser." in work.system  # the read globs are in context
    assert all("tok-do-not-send-9876" not in r.text for r in fake.requests)
    assert fake.requests[2].tool_results == ["error: .env: this file holds secrets: agents never read or write it"]
    found = json.loads(kin("memory", "search", "Summarise SUMMARY", "--json", cwd=repo, env=llm_env,
                           check=True).stdout)
    assert [(m["stratum"], m["namespace"]) for m in found] == [("somatic", "daemons/solo.production")]
    assert "SUMMARY.md" in found[0]["content"]


def test_a_commit_the_pre_commit_hook_refuses_ends_the_cycle_as_an_error_and_keeps_the_change(repo, fake, llm_env,
                                                                                               runs):
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'house rule: no TODO files' >&2\nexit 1\n")
    hook.chmod(0o755)
    fake.script = scripted("Add TODO.md", [call("write_file", path="TODO.md", content="- one\n")])
    head = git(repo, "rev-parse", "HEAD")
    run = start(repo, llm_env, runs, {"production": {"model": "fake-tools"}})
    cycle = run.cycles("production")[0]
    assert cycle["outcome"] == "error" and cycle["commit"] is None
    assert cycle["error"] == "commit failed: house rule: no TODO files"
    assert git(repo, "rev-parse", "HEAD") == head and (repo / "TODO.md").read_text() == "- one\n"
