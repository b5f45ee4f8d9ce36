"""The predefined teams and roles, and kin init starting from them."""
from __future__ import annotations

import json

import pytest

from shadeos_agents.prompting import RoleTemplates, builtin_roles

TEAMS = ("coding", "literature-review", "book-writing", "general")
ROLES = {"specifications", "management", "production", "testeur", "documentaliste", "evaluation", "validation",
         "duplication", "chroniqueur", "cleaner", "redacteur", "research"}


def test_every_kinos_role_ships_and_renders_with_its_four_parts(project):
    assert ROLES <= builtin_roles()
    templates = RoleTemplates(project)
    for role in ROLES:
        text = templates.render(templates.load(role, None), {
            "role": role, "daemon_id": f"t.{role}", "team": "t", "mission": "Build a parser.", "phase": "expansion",
            "map_summary": "(map)", "teammates": [{"name": "production", "role": "production", "state": "idle",
                                                   "task": "", "last": "write x -> ok"}],
            "queue": [{"text": "Write the lexer", "to": "production", "holder": None, "state": "queued"}],
            "conflicts": ["a waits for b on x.py"], "may_change": ["specs/**"], "commands": []})
        for heading in ("## Your responsibility", "## What you read", "## What you may change",
                        "## What you must not do", "## When there is nothing to do", "## Mission\nBuild a parser."):
            assert heading in text, (role, heading)
        assert "Carry out the mission, one concrete task at a time." not in text  # each role says its own
    management = templates.render(templates.load("management", None), {
        "role": "management", "teammates": [{"name": "production", "role": "production", "state": "running",
                                             "task": "Write the lexer", "last": ""}],
        "queue": [{"text": "Write the lexer", "to": "production", "holder": None, "state": "queued"}],
        "conflicts": ["testeur waits for production on src/lexer.py"]})
    assert "- production (production): running, working on: Write the lexer" in management
    assert "- [queued for production] Write the lexer" in management
    assert "testeur waits for production on src/lexer.py" in management


@pytest.mark.parametrize("name", TEAMS)
def test_each_shipped_team_is_valid_and_checks_clean(name, project, kin, llm_env):
    shown = json.loads(kin("teams", "show", name, "--json", cwd=project, env=llm_env, check=True).stdout)
    assert shown["source"].endswith(f"{name}.toml (plugin:agents)")
    assert {m["name"] for m in shown["meta"]} == {"janitor", "map", "archivist", "context"}
    assert set(shown["phases"]) == {"expansion", "convergence"} and shown["mission"] == "mission.md"
    roles = {d["options"]["role"] for d in shown["daemons"]}
    assert roles <= ROLES and all(d["type"] == "agent" for d in shown["daemons"])
    named = {n for names in shown["phases"].values() for n in names}
    assert "management" in {d["name"] for d in shown["daemons"]} - named or name == "general"  # always at work
    assert kin("init", "--team", name, "--mission", "Write about owls.", cwd=project, env=llm_env,
               check=True).returncode == 0
    assert (project / "mission.md").read_text() == "Write about owls.\n"
    copied = json.loads(kin("teams", "show", name, "--json", cwd=project, env=llm_env, check=True).stdout)
    assert copied["source"] == f"teams/{name}.toml" and copied["daemons"] == shown["daemons"]
    proc = kin("check", cwd=project, env=llm_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_kin_init_writes_a_team_and_its_mission_and_never_overwrites(project, kin, llm_env, tmp_path):
    brief = tmp_path / "brief.md"
    brief.write_text("# A todo list\n\nIn Python, with tests.\n")
    out = kin("init", "--team", "coding", "--mission-file", str(brief), cwd=project, env=llm_env, check=True).stdout
    assert "created teams/coding.toml" in out and "created mission.md" in out and "run it with: kin coding" in out
    assert (project / "mission.md").read_text() == brief.read_text()
    (project / "teams/coding.toml").write_text((project / "teams/coding.toml").read_text() + "# mine\n")
    again = kin("init", "--team", "coding", "--mission", "Something else", cwd=project, env=llm_env, check=True).stdout
    assert "kept teams/coding.toml (it exists)" in again and "kept mission.md (it exists; not overwritten)" in again
    assert (project / "mission.md").read_text() == brief.read_text()
    assert (project / "teams/coding.toml").read_text().endswith("# mine\n")


def test_kin_init_without_a_team_writes_the_general_team_as_default(project, kin, llm_env):
    out = kin("init", cwd=project, env=llm_env, check=True).stdout
    assert "created teams/default.toml" in out and "created mission.md (write the mission in it)" in out
    shown = json.loads(kin("teams", "show", "default", "--json", cwd=project, env=llm_env, check=True).stdout)
    assert {d["name"] for d in shown["daemons"]} == {"specifications", "management", "evaluation", "chroniqueur",
                                                    "documentaliste"}
    assert {m["name"] for m in shown["meta"]} >= {"janitor", "map", "archivist", "context"}


@pytest.mark.parametrize("args, message", [
    (("--team", "codding"), "no predefined team named 'codding' (predefined teams: book-writing, coding, general, "
                            "literature-review)"),
    (("--mission", "x", "--mission-file", "kin.toml"), "give --mission or --mission-file, not both"),
    (("--mission", "  "), "--mission is empty"),
])
def test_kin_init_refuses_bad_options_in_one_line(project, kin, llm_env, args, message):
    proc = kin("init", *args, cwd=project, env=llm_env)
    assert proc.returncode == 2 and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
