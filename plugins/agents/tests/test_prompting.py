"""Role prompts: builtin roles, a project's overrides, the variables a template gets, and no secret ever included."""
from __future__ import annotations

import pytest
from agents_testkit import agent_team

from shadeos_agents.context import ContextBuilder
from shadeos_agents.prompting import VARIABLES, RoleTemplates, builtin_roles
from shadeos_core import Kernel
from shadeos_core.errors import ConfigError


@pytest.fixture
def agent(project, write, llm_env, monkeypatch):
    for key, value in llm_env.items():
        monkeypatch.setenv(key, value)
    write("teams/solo.toml", agent_team("solo", {"production": {"model": "fake-tools"}}))
    kernel = Kernel.load(project)
    team = kernel.teams().get("solo")
    daemon = kernel.daemon_types["agent"](team.member("production"), team, kernel)
    daemon.setup()
    return daemon


def test_builtin_roles_ship_with_the_plugin():
    assert {"agent", "production"} <= builtin_roles()


def test_a_project_role_file_overrides_the_builtin_one_and_may_extend_the_base(project, write):
    write("prompts/production.md.j2", '{% extends "base.md.j2" %}{% block responsibility %}Ship it.{% endblock %}')
    templates = RoleTemplates(project)
    text = templates.render(templates.load("production", None), {"role": "production", "team": "t"})
    assert "## Your responsibility\nShip it." in text


def test_a_template_can_never_include_a_secret_or_kins_state(project, write):
    write(".env", "TOKEN=secret-value\n")
    for target in (".env", ".kin/agents/x/history.jsonl", ".git/config"):
        write("prompts/leaky.md.j2", f'{{% include "{target}" %}}')
        templates = RoleTemplates(project)
        with pytest.raises(ConfigError, match="failed to render"):
            templates.render(templates.load("leaky", None), {})


def test_every_documented_variable_is_given_to_templates(agent):
    variables = ContextBuilder(agent, agent.count_tokens).build("Edit README.md").variables
    assert set(variables) == set(VARIABLES)


def test_the_agent_prompt_hook_says_where_a_role_prompt_comes_from(project):
    from shadeos_core import Kernel

    def ask(prompt=None):
        kernel = Kernel.load(project)
        return kernel.hooks.call("agent_prompt", workspace=kernel.workspace, role="production", prompt=prompt)

    builtin = ask()
    assert (builtin["source"], builtin["file"]) == ("builtin", "prompts/production.md.j2") and builtin["text"]
    (project / "prompts").mkdir()
    (project / "prompts" / "production.md.j2").write_text("{% extends 'base.md.j2' %}\n")
    assert ask() == {"source": "project override", "file": "prompts/production.md.j2",
                     "text": "{% extends 'base.md.j2' %}\n"}
    (project / "mine.md.j2").write_text("Mine.\n")
    assert ask("mine.md.j2") == {"source": "team file", "file": "mine.md.j2", "text": "Mine.\n"}
    assert ask("gone.md.j2") == {"source": "team file", "file": "gone.md.j2", "text": None}  # the agent refuses it
