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
