"""Which model an agent uses and why, unknown models refused before anything runs, keys never shown."""
from __future__ import annotations

import json

from agents_testkit import agent_team


def team(write, **agent):
    write("teams/solo.toml", agent_team("solo", {"production": {"model": "fake-tools", **agent}}))


def test_kin_models_lists_llm_models_with_key_state_and_never_a_key(project, kin, llm_env, tmp_path):
    out = json.loads(kin("models", "--json", cwd=project, env=llm_env, check=True).stdout)
    by_id = {m["model_id"]: m for m in out["models"]}
    assert by_id["fake-tools"]["supports_tools"] is True and by_id["fake-tools"]["key_name"] is None
    assert by_id["fake-plain"]["supports_tools"] is False
    assert by_id["fake-keyed"]["key_name"] == "fake" and by_id["fake-keyed"]["key_present"] is False
    (tmp_path / "llm" / "keys.json").write_text(json.dumps({"fake": "sk-never-show-me-1234"}))
    for args in (("models", "--json"), ("models",)):
        proc = kin(*args, cwd=project, env=llm_env, check=True)
        assert "sk-never-show-me-1234" not in proc.stdout + proc.stderr
    out = json.loads(kin("models", "--json", cwd=project, env=llm_env, check=True).stdout)
    assert {m["model_id"]: m for m in out["models"]}["fake-keyed"]["key_present"] is True


def test_the_default_model_comes_from_kin_toml_then_kin_model_then_llm(project, kin, llm_env, write, tmp_path):
    default = json.loads(kin("models", "--json", cwd=project, env=llm_env, check=True).stdout)["default"]
    assert default["source"] == "llm default"
    (tmp_path / "llm" / "default_model.txt").write_text("fake-plain")
    default = json.loads(kin("models", "--json", cwd=project, env=llm_env, check=True).stdout)["default"]
    assert (default["model"], default["source"]) == ("fake-plain", "llm default")
    env = {**llm_env, "KIN_MODEL": "fake-keyed"}
    default = json.loads(kin("models", "--json", cwd=project, env=env, check=True).stdout)["default"]
    assert (default["model"], default["source"], default["key_present"]) == ("fake-keyed", "KIN_MODEL", False)
    write("kin.toml", '[agents]\nmodel = "fake-tools"\n')
    default = json.loads(kin("models", "--json", cwd=project, env=env, check=True).stdout)["default"]
    assert (default["model"], default["source"], default["known"]) == ("fake-tools", "kin.toml", True)
    text = kin("models", cwd=project, env=env, check=True).stdout
    assert text.splitlines()[0] == "kin's default model: fake-tools (from kin.toml)"


def test_an_unknown_model_in_the_team_file_is_refused_at_validation_with_its_line(project, kin, llm_env, write):
    team(write, model="fake-tool")
    for args in (("teams", "show", "solo"), ("solo",)):
        proc = kin(*args, cwd=project, env=llm_env)
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert "teams/solo.toml:" in lines[0] and "daemons.production.model: unknown model 'fake-tool'" in lines[0]
        assert "closest: fake-tools" in lines[0]
    assert not (project / ".kin" / "run" / "teams" / "solo.json").exists()  # nothing started


def test_an_unknown_default_model_points_at_kin_toml_or_kin_model(project, kin, llm_env, write):
    team(write, model=None)
    write("kin.toml", '# settings\n[agents]\nmodel = "fake-tols"\n')
    proc = kin("teams", "show", "solo", cwd=project, env=llm_env)
    assert proc.returncode == 2
    assert f"{project / 'kin.toml'}:3: unknown model 'fake-tols' (chosen by kin.toml" in proc.stderr
    write("kin.toml", "")
    proc = kin("teams", "show", "solo", cwd=project, env={**llm_env, "KIN_MODEL": "nope"})
    assert proc.returncode == 2 and "$KIN_MODEL: unknown model 'nope' (chosen by KIN_MODEL" in proc.stderr


def test_bad_agent_settings_are_one_line_errors_naming_the_key(project, kin, llm_env, write):
    cases = [
        ({"coder": "aidr"}, "daemons.production.coder: unknown coder 'aidr' (did you mean 'aider'?)"),
        ({"tools": ["read_fiel"]}, "daemons.production.tools: unknown tool 'read_fiel' (did you mean 'read_file'?)"),
        ({"role": "astronaut"}, "daemons.production.role: no prompt for role 'astronaut'"),
        ({"prompt": "prompts/missing.md.j2"}, "daemons.production.prompt: prompt file 'prompts/missing.md.j2' does not"),
        ({"max_steps": 0}, "daemons.production.max_steps: expected a whole number from 1 to 1000, got 0"),
        ({"files": ["../x/**"]}, "daemons.production.files: '../x/**' leads outside the workspace"),
        ({"commands": ["pytest 'unclosed"]}, "daemons.production.commands: \"pytest 'unclosed\" is not a command line"),
        ({"coder": "command"}, "daemons.production.command: the command coder needs an argv template"),
        ({"timeout": "soon"}, "daemons.production.timeout:"),
        ({"colour": "red"}, "daemons.production.colour: unknown key"),
    ]
    for agent, message in cases:
        team(write, **agent)
        proc = kin("teams", "show", "solo", cwd=project, env=llm_env)
        assert proc.returncode == 2 and message in proc.stderr, (agent, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1


def test_a_template_syntax_error_names_the_template_line(project, kin, llm_env, write):
    write("prompts/mine.md.j2", "Hello\n{% if %}\n")
    team(write, prompt="prompts/mine.md.j2")
    proc = kin("teams", "show", "solo", cwd=project, env=llm_env)
    assert proc.returncode == 2 and "prompts/mine.md.j2:2: template syntax error" in proc.stderr


def test_a_bad_agents_table_is_a_one_line_error(project, kin, llm_env, write):
    team(write)
    write("kin.toml", "[agents]\ntokens_per_dya = 5\n")
    proc = kin("teams", "show", "solo", cwd=project, env=llm_env)
    assert proc.returncode == 2 and "kin.toml:2: [agents] tokens_per_dya: unknown key (did you mean 'tokens_per_day'?)" \
        in proc.stderr


def test_a_broken_llm_configuration_is_one_line_not_a_traceback(project, kin, llm_env, write, tmp_path):
    team(write)
    (tmp_path / "llm" / "extra-openai-models.yaml").write_text("- model_id: [unclosed\n")
    proc = kin("teams", "show", "solo", cwd=project, env=llm_env)
    assert proc.returncode == 2 and "llm could not list its models" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
