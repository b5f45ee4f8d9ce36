"""The agents plugin's own hooks (register_tools, register_coders) and the coders that run other programs."""
from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

from agents_testkit import Reply, Request, TeamRun, agent_team, call, git, is_choosing, scripted

from shadeos_agents.registry import collect_coders, collect_tools
from shadeos_core import Kernel

HERE = Path(__file__).resolve().parent


def plugin_env(llm_env: dict[str, str], *modules: str, **extra: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH", "")]))
    return {**llm_env, "KIN_PLUGINS": ",".join(modules), "PYTHONPATH": path, **extra}


def start(repo, env, runs, **agent):
    (repo / "teams").mkdir(exist_ok=True)
    (repo / "teams/solo.toml").write_text(agent_team("solo", {"production": {"model": "fake-tools", **agent}}))
    runs.append(run := TeamRun(repo, "solo", env))
    return run


def test_hook_register_tools_offers_a_plugins_tool_to_the_model(repo, fake, llm_env, runs):
    (repo / "quiet.txt").write_text("speak up\n")
    fake.script = scripted("Read quiet.txt loudly", [call("shout", path="quiet.txt")])
    run = start(repo, plugin_env(llm_env, "agents_extras"), runs, tools=["shout", "finish"])
    cycle = run.cycles("production")[0]
    assert [s["tool"] for s in cycle["steps"]] == ["shout", "finish"]
    assert sorted(fake.requests[1].tools) == ["finish", "shout"]
    assert fake.requests[2].tool_results == ["SPEAK UP\n"]


def test_hook_register_coders_carries_the_task_out_through_the_gate(repo, fake, llm_env, runs):
    fake.script = lambda request: Reply(text="Stamp the project")
    run = start(repo, plugin_env(llm_env, "agents_extras"), runs, coder="stamp")
    cycle = run.cycles("production")[0]
    assert cycle["outcome"] == "ok" and (repo / "STAMP.txt").read_text() == "Stamp the project\n"
    assert git(repo, "show", "--name-only", "--format=%s", "HEAD").split("\n")[:3] == ["Stamp the project", "",
                                                                                      "STAMP.txt"]


def test_a_plugin_cannot_take_a_builtin_tools_name_and_is_told_so(project, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("KIN_PLUGINS", "agents_clash")
    kernel = Kernel.load(project)
    tools = collect_tools(kernel.hooks)
    assert tools.owners["read_file"] == "agents" and "mine" not in tools.values  # all-or-nothing per plugin
    assert tools.problems == ["plugin 'agents_clash': its tools were not added: tool 'read_file' is already "
                              "registered by 'agents'"]
    assert set(collect_coders(kernel.hooks).values) == {"builtin", "aider", "command"}


def test_the_aider_coder_says_in_one_line_when_aider_is_not_installed(repo, fake, llm_env, runs):
    fake.script = lambda request: Reply(text="Tidy notes.txt")
    run = start(repo, {**llm_env, "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin"}, runs, coder="aider")
    cycle = run.cycles("production")[0]
    assert (cycle["outcome"], cycle["error"]) == ("error", 'aider is not installed: pip install aider-chat '
                                                           '(or use coder = "builtin")')


def program(path: Path, body: str) -> Path:
    """An executable Python script (standing in for a CLI agent) that records its arguments in args.json."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\nimport json, sys, pathlib\n"
                    f"pathlib.Path({str(path.parent / 'args.json')!r}).write_text(json.dumps(sys.argv[1:]))\n"
                    + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def test_the_aider_coder_runs_aider_on_the_tasks_files_and_commits_what_it_changed(repo, fake, llm_env, runs,
                                                                                   tmp_path):
    (repo / "notes.txt").write_text("draft\n")
    bin_dir = tmp_path / "bin"
    program(bin_dir / "aider", """
        for name in sys.argv[1:]:
            if name.endswith('.txt'):
                pathlib.Path(name).write_text('tidied\\n')
    """)
    fake.script = lambda request: Reply(text="Tidy notes.txt")
    env = {**llm_env, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    run = start(repo, env, runs, coder="aider", command=["--model", "sonnet"])
    cycle = run.cycles("production")[0]
    assert cycle["outcome"] == "ok", cycle
    args = json.loads((bin_dir / "args.json").read_text())
    assert args[0] == "--message" and args[1].startswith("Tidy notes.txt")
    assert args[2:] == ["--yes-always", "--no-auto-commits", "--model", "sonnet", "notes.txt"]
    assert (repo / "notes.txt").read_text() == "tidied\n"
    assert git(repo, "log", "--format=%an|%s", "-1").strip() == "production (kin)|Tidy notes.txt"


def test_the_command_coder_fills_its_template_and_commits_only_what_the_agent_may_change(repo, fake, llm_env, runs,
                                                                                          tmp_path):
    (repo / "src").mkdir()
    (repo / "src/app.py").write_text("x = 1\n")
    tool = program(tmp_path / "bin" / "cli-agent", """
        pathlib.Path('src/app.py').write_text('x = 2\\n')
        pathlib.Path('outside.txt').write_text('not mine to change\\n')
        print('did it')
    """)
    fake.script = lambda request: Reply(text="Bump x in src/app.py")
    run = start(repo, llm_env, runs, coder="command", command=[str(tool), "-p", "{prompt}", "--task", "{task}",
                                                               "{files}"], files=["src/**"])
    cycle = run.cycles("production")[0]
    args = json.loads((tmp_path / "bin" / "args.json").read_text())
    assert args[0] == "-p" and "Your task: Bump x in src/app.py" in args[1] and "production agent" in args[1]
    assert args[2:] == ["--task", "Bump x in src/app.py", "src/app.py"]
    assert cycle["outcome"] == "ok"
    assert {(e["path"], e["outcome"]) for e in cycle["edits"]} == {("src/app.py", "applied"),
                                                                   ("outside.txt", "refused")}
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["src/app.py"]
    assert "?? outside.txt" in git(repo, "status", "--porcelain")  # left in the work tree, not committed


def test_a_failing_plugin_tool_is_the_models_information_not_the_agents_crash(repo, fake, llm_env, runs):
    def script(request: Request) -> Reply:
        if is_choosing(request):
            return Reply(text="Shout nothing")
        if request.turns == 0:
            return Reply(tool_calls=[call("shout", path="")])
        if request.turns == 1:
            return Reply(tool_calls=[call("shout", path="missing.txt", extra=1)])
        return Reply(tool_calls=[call("finish", summary="gave up")])

    fake.script = script
    run = start(repo, plugin_env(llm_env, "agents_extras"), runs)
    cycle = run.cycles("production")[0]
    assert [s["outcome"] for s in cycle["steps"]] == ["error", "error", "ok"]
    assert fake.requests[2].tool_results == ["error: which file?"]
    assert fake.requests[3].tool_results == ["error: unknown argument 'extra' (arguments: path)"]
    assert run.daemon("production")["restarts"] == 0


def test_hook_model_complete_asks_the_configured_model_and_nothing_else(project, fake, llm_env, monkeypatch, write):
    import pytest

    from shadeos_core.errors import KinError

    for key, value in llm_env.items():
        monkeypatch.setenv(key, value)
    fake.script = lambda request: Reply(text=f"echo: {request.last_user}")
    hooks = Kernel.load(project).hooks
    assert hooks.call("model_complete", workspace=Kernel.load(project).workspace, system="s", prompt="hi",
                      purpose="test") is None
    assert fake.requests == []  # no model chosen: llm's default is not a choice, nothing is sent
    write("kin.toml", '[agents]\nmodel = "fake-plain"\n')
    kernel = Kernel.load(project)
    answer = kernel.hooks.call("model_complete", workspace=kernel.workspace, system="be brief", prompt="hi",
                               purpose="test")
    assert answer == {"text": "echo: hi", "model": "fake-plain", "input_tokens": 100, "output_tokens": 20}
    assert fake.requests[0].system == "be brief"
    monkeypatch.setenv("KIN_MODEL", "fake-keyed")
    write("kin.toml", "")
    kernel = Kernel.load(project)
    with pytest.raises(KinError, match="no key for fake-keyed — run: llm keys set fake"):
        kernel.hooks.call("model_complete", workspace=kernel.workspace, system="s", prompt="p", purpose="t")
