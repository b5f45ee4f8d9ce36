"""What a user sees of plugins and teams: what each plugin provides, where a team comes from, how to start it."""
import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import KINPLUGINS, plugin_env

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "kin-hello" / "kin_hello"
KINDS = ["daemon_types", "meta_daemon_types", "execution_modes", "janitors", "checks", "memory_backends", "teams",
         "commands"]
KEYS = {"name", "module", "dist", "version", "builtin", "loaded", "error", "hooks", "provides"}


def env_for(*modules, **extra):
    return plugin_env(*modules, COLUMNS="80", **extra)


@pytest.fixture
def hello_env(tmp_path):
    """The documented example plugin, importable but not installed: KIN_PLUGINS loads it."""
    where = tmp_path / "example"
    shutil.copytree(EXAMPLE, where / "kin_hello")
    path = os.pathsep.join([str(where), str(KINPLUGINS), os.environ.get("PYTHONPATH", "")])
    return {**env_for("kin_hello"), "PYTHONPATH": path}


def plugins_json(kin, project, env):
    proc = kin("plugins", "--json", cwd=project, env=env)
    assert proc.returncode == 0, proc.stderr
    return {p["name"]: p for p in json.loads(proc.stdout)}


def test_kin_plugins_json_says_what_each_plugin_provides(kin, project):
    plugins = plugins_json(kin, project, env_for("allhooks"))
    assert plugins["allhooks"]["provides"] == {
        "daemon_types": ["plain"], "meta_daemon_types": ["meta"], "execution_modes": ["echo"],
        "janitors": ["nothing"], "checks": ["always-warns"], "memory_backends": ["dict"], "teams": ["shipped"],
        "commands": ["allhooks"]}
    assert list(plugins["allhooks"]["provides"]) == KINDS
    core = plugins["core"]["provides"]
    assert core["checks"] == ["team-names", "teams"]
    assert {"run", "init", "teams", "plugins", "status", "check"} <= set(core["commands"])
    # the builtin plugins, as installed here
    assert "map" in plugins["map"]["provides"]["commands"] and "map" in plugins["map"]["provides"]["meta_daemon_types"]
    assert plugins["process"]["provides"]["daemon_types"] == ["command"]
    assert {"blocking", "background"} <= set(plugins["process"]["provides"]["execution_modes"])
    assert {"coding", "general"} <= set(plugins["agents"]["provides"]["teams"])
    # every name is owned by exactly one plugin
    for kind in KINDS:
        owned = [name for p in plugins.values() for name in p["provides"][kind]]
        assert len(owned) == len(set(owned)), kind


def test_kin_plugins_json_keys_are_stable_and_failed_plugins_keep_their_error(kin, project):
    plugins = plugins_json(kin, project, env_for("sampledaemons", "broken_import", "dup_register"))
    assert all(set(p) == KEYS and list(p["provides"]) == KINDS for p in plugins.values())
    broken = plugins["broken_import"]
    assert broken["loaded"] is False and "ImportError: this plugin needs a library" in broken["error"]
    assert broken["provides"] == {kind: [] for kind in KINDS} and broken["module"] == "broken_import"
    # rolled back whole: what it registered before its mistake is not listed
    dup = plugins["dup_register"]
    assert dup["loaded"] is False and "already registered by 'sampledaemons'" in dup["error"]
    assert all(not names for names in dup["provides"].values())
    assert plugins["sampledaemons"]["loaded"] is True and plugins["sampledaemons"]["error"] is None
    assert plugins["sampledaemons"]["provides"]["daemon_types"] == ["garbage", "recorder", "worker"]


def test_kin_plugins_lists_every_name_whole_within_80_columns(kin, project):
    env = env_for("allhooks", "sampledaemons", "broken_import")
    plugins = plugins_json(kin, project, env)
    proc = kin("plugins", cwd=project, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    words = {word.rstrip(",") for line in lines for word in line.split()}
    for plugin in plugins.values():
        assert plugin["name"] in words
        for kind in KINDS:
            assert set(plugin["provides"][kind]) <= words, (plugin["name"], kind)
    listing = proc.stdout.split("\n\n")
    allhooks = next(block for block in listing if block.startswith("allhooks "))
    assert "  daemon types       plain" in allhooks and "  memory backends    dict" in allhooks
    assert "  teams              shipped" in allhooks and "  commands           allhooks" in allhooks
    assert "run_team" in allhooks  # a hook that registers nothing is listed as such
    broken = next(block for block in listing if block.startswith("broken_import "))
    assert "not loaded" in broken.splitlines()[0] and "ImportError" in broken


def test_kin_plugins_names_blocked_plugins_and_filters_by_hook(kin, project):
    proc = kin("-p", "no:sampledaemons", "plugins", "--hook", "register_teams", cwd=project,
               env=env_for("allhooks", "sampledaemons"))
    assert proc.returncode == 0, proc.stderr
    headings = [line.split()[0] for line in proc.stdout.splitlines() if line and not line.startswith(" ")]
    assert "allhooks" in headings and "core" not in headings and "blocked:" in headings
    assert proc.stdout.rstrip().endswith("blocked: sampledaemons")


def test_kin_teams_shows_a_plugin_team_as_plugin_name(kin, project, write):
    write("teams/mine.toml", '[daemons.a]\ntype = "recorder"\n')
    env = env_for("allhooks", "sampledaemons")
    human = kin("teams", cwd=project, env=env)
    assert human.returncode == 0, human.stderr
    rows = {line.split()[0]: line for line in human.stdout.splitlines() if line.split()}
    assert "(plugin:allhooks)" in rows["shipped"] and "allhooks_team.toml" not in human.stdout
    assert "(plugin:agents)" in rows["coding"] and "teams/mine.toml" in rows["mine"]
    listed = {t["name"]: t for t in json.loads(kin("teams", "--json", cwd=project, env=env, check=True).stdout)}
    assert listed["shipped"]["plugin"] == "allhooks" and listed["shipped"]["source"].endswith("(plugin:allhooks)")
    assert listed["coding"]["plugin"] == "agents"
    assert "plugin" not in listed["mine"] and listed["mine"]["source"] == "teams/mine.toml"


def test_a_team_named_like_a_command_is_warned_about_with_kin_run(kin, project, write):
    write("teams/map.toml", '[daemons.a]\ntype = "recorder"\n')
    write("teams/fine.toml", '[daemons.a]\ntype = "recorder"\n')
    env = env_for("sampledaemons")

    teams = kin("teams", cwd=project, env=env)
    assert teams.returncode == 0
    warnings = [line for line in teams.stderr.splitlines() if line.startswith("kin: warning:")]
    assert len(warnings) == 1 and "team 'map' cannot be started as `kin map`" in warnings[0]
    assert "`kin run map`" in warnings[0] and "plugin 'map'" in warnings[0]
    listed = {t["name"]: t for t in json.loads(kin("teams", "--json", cwd=project, env=env).stdout)}
    assert listed["map"]["start"] == "kin run map"
    assert listed["map"]["shadowed_by"] == {"command": "map", "plugin": "map"}
    assert "start" not in listed["fine"] and "shadowed_by" not in listed["fine"]

    check = kin("check", "--json", cwd=project, env=env)
    assert check.returncode == 0, check.stdout + check.stderr  # a warning never fails kin check
    findings = [f for f in json.loads(check.stdout) if f["check"] == "team-names"]
    assert [(f["level"], f["path"]) for f in findings] == [("warning", "teams/map.toml")]
    assert "`kin run map`" in findings[0]["message"]


def test_kin_run_starts_the_team_a_command_hides(kin, project, write, tmp_path):
    write("kin.toml", '[teams.status.daemons.a]\ntype = "plain"\n')
    out = tmp_path / "ran.json"
    env = env_for("allhooks", KIN_DISABLE_PLUGINS="orchestrator", KIN_TEST_RUN_TEAM=str(out))
    findings = json.loads(kin("check", "--json", cwd=project, env=env).stdout)
    shadowed = [f for f in findings if f["check"] == "team-names"]
    assert len(shadowed) == 1 and shadowed[0]["path"] == "kin.toml"
    assert "command of kin itself" in shadowed[0]["message"] and "`kin run status`" in shadowed[0]["message"]
    status = kin("status", "--json", cwd=project, env=env)
    assert status.returncode == 0 and not out.exists()  # `kin status` is the command
    proc = kin("run", "status", cwd=project, env=env)
    assert proc.returncode == 7  # allhooks' run_team ran the team
    assert json.loads(out.read_text()) == {"team": "status", "members": ["status.a"]}


def test_the_example_plugin_lists_what_it_provides_and_its_hello_team_is_warned_about(kin, project, hello_env):
    hello = plugins_json(kin, project, hello_env)["kin_hello"]
    assert hello["loaded"] is True
    assert {kind: names for kind, names in hello["provides"].items() if names} == {
        "daemon_types": ["hello"], "janitors": ["hello-tmp"], "checks": ["mission"], "teams": ["hello"],
        "commands": ["hello"]}
    teams = kin("teams", cwd=project, env=hello_env)
    assert "(plugin:kin_hello)" in teams.stdout
    assert "team 'hello' of plugin 'kin_hello' cannot be started as `kin hello`" in teams.stderr
    assert "`kin run hello`" in teams.stderr
    findings = json.loads(kin("check", "--json", cwd=project, env=hello_env).stdout)
    shadowed = [f for f in findings if f["check"] == "team-names"]
    assert len(shadowed) == 1 and shadowed[0]["level"] == "warning" and "`kin run hello`" in shadowed[0]["message"]
    assert kin("hello", "Ada", cwd=project, env=hello_env).stdout == "Hello, Ada!\n"
