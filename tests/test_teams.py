"""Team files: discovery, precedence, validation errors that name file, key and line."""
import json
from pathlib import Path

import pytest
from helpers import plugin_env

from shadeos_core import ConfigError, Kernel

GOOD = """
[team]
name = "coding"
description = "Software development"
mission = "demande.md"

[daemons.production]
type = "recorder"
every = "60s"
restart = "on-failure"
record = "out.jsonl"

[daemons.validation]
type = "recorder"
on_message = true

[meta.idle]
every = "30s"

[phases.expansion]
daemons = ["production"]
[phases.convergence]
daemons = ["validation"]
"""


@pytest.fixture
def kernel(project, monkeypatch):
    for key, value in plugin_env("sampledaemons").items():
        monkeypatch.setenv(key, value)
    import sys

    monkeypatch.syspath_prepend(str(Path(__file__).parent / "kinplugins"))
    sys.modules.pop("sampledaemons", None)
    return lambda: Kernel.load(project)


def error_for(kernel, name):
    with pytest.raises(ConfigError) as info:
        kernel().teams().get(name)
    return str(info.value)


def test_a_valid_team_resolves_with_defaults(kernel, write):
    write("teams/coding.toml", GOOD)
    team = kernel().teams().get("coding")
    assert [s.name for s in team.members()] == ["idle", "production", "validation"]
    prod = team.daemons["production"]
    assert (prod.every, prod.restart, prod.start_retries, prod.options) == (60.0, "on-failure", 3, {"record": "out.jsonl"})
    assert prod.daemon_id == "coding.production"
    assert team.meta["idle"].meta and team.meta["idle"].type == "idle"
    assert [s.name for s in team.active_in("expansion")] == ["idle", "production"]
    assert [s.name for s in team.active_in(None)] == ["idle", "production", "validation"]


def test_precedence_kin_toml_then_teams_then_dot_kin(kernel, write, project):
    write("kin.toml", '[teams.alpha.daemons.a]\ntype = "recorder"\n')
    write("teams/alpha.toml", '[daemons.b]\ntype = "recorder"\n')
    write(".kin/teams/beta.toml", '[daemons.c]\ntype = "recorder"\n')
    write("teams/beta.toml", '[daemons.d]\ntype = "recorder"\n')
    teams = kernel().teams()
    assert list(teams.get("alpha").daemons) == ["a"]
    assert list(teams.get("beta").daemons) == ["d"]
    assert any("'alpha' is defined in kin.toml and teams/alpha.toml; kin.toml wins" in w for w in teams.warnings)


def test_nearest_directory_wins_when_run_from_a_subdirectory(kernel, write, project):
    write("teams/t.toml", '[daemons.root]\ntype = "recorder"\n')
    write("sub/teams/t.toml", '[daemons.near]\ntype = "recorder"\n')
    assert list(kernel().teams(cwd=project / "sub").get("t").daemons) == ["near"]
    assert list(kernel().teams().get("t").daemons) == ["root"]


@pytest.mark.parametrize("text, expected", [
    ('[daemons.a]\ntype = "recorder"\nevry = "5s"\n', ["teams/t.toml:3", "daemons.a.evry", "unknown key", "'every'"]),
    ('[daemons.a]\ntype = "recordr"\n', ["teams/t.toml:2", "unknown daemon type 'recordr'", "did you mean 'recorder'"]),
    ('[daemons.a]\ntype = "recorder"\nevery = "5 min"\n', ["teams/t.toml:3", "bad duration '5 min'", '"5m"']),
    ('[daemons.a]\ntype = "recorder"\n[phases.x]\ndaemons = ["b"]\n', ["teams/t.toml:4", "phases.x.daemons", "'b'"]),
    ('[daemons.a]\ntype = "recorder"\nrestart = "sometimes"\n', ["restart", "on-failure | always | never".replace(" | ", ", ")]),
    ('[daemons.a]\ntype = "recorder"\nworkdir = "../x"\n', ["outside the workspace"]),
    ('[daemons.a]\ntype = "recorder"\nwatch = ["../**"]\n', ["outside the workspace"]),
    ('[daemons."../evil"]\ntype = "recorder"\n', ["invalid daemon name"]),
    ('[daemons.a]\n', ["has no type"]),
    ('[teem]\nname = "x"\n', ["unknown key", "'team'"]),
    ('[daemons.a]\ntype = "recorder"\nrecord = 3\n', ["daemons.a.record", "expected str"]),
    ('[daemons.a]\ntype = "recorder"\n\ncrash_on = ""\n', ["teams/t.toml:4", "daemons.a.crash_on: cannot be empty",
                                                         "name the message"]),  # the type's own check_options
    ('[daemons.a\ntype = "recorder"\n', ["TOML syntax error", "line 1"]),
    # values out of range: not a number, infinite, zero or negative where meaningless, too large
    ('[daemons.a]\ntype = "recorder"\nevery = nan\n', ["teams/t.toml:3", "daemons.a.every", "must be a number"]),
    ('[daemons.a]\ntype = "recorder"\nevery = inf\n', ["daemons.a.every", "longer than a year"]),
    ('[daemons.a]\ntype = "recorder"\nheartbeat = 0\n', ["daemons.a.heartbeat", "0 means nothing here"]),
    ('[daemons.a]\ntype = "recorder"\nevery = -5\n', ["daemons.a.every", "cannot be negative"]),
    ('[daemons.a]\ntype = "recorder"\nevery = "999999999d"\n', ["daemons.a.every", "longer than a year"]),
    ('[daemons.a]\ntype = "recorder"\nevery = 1e400\n', ["daemons.a.every", "longer than a year"]),
    ('[daemons.a]\ntype = "recorder"\nstart_retries = 9223372036854775807\n',
     ["daemons.a.start_retries", "out of range", "between 0 and 1000"]),
    ('[team]\nflap_restarts = 0\n[daemons.a]\ntype = "recorder"\n', ["team.flap_restarts", "out of range"]),
    ('[team]\ncycle = "0s"\n[daemons.a]\ntype = "recorder"\n', ["team.cycle", "0 means nothing here"]),
    ('[daemons.a]\ntype = "recorder"\nslow_cycle = nan\n', ["daemons.a.slow_cycle", "expected a finite number"]),
])
def test_bad_team_files_get_one_precise_error(kernel, write, text, expected):
    write("teams/t.toml", text)
    message = error_for(kernel, "t")
    for part in expected:
        assert part in message, message
    assert "\n" not in message


def test_unknown_team_suggests_the_closest(kernel, write):
    write("teams/coding.toml", GOOD)
    assert "did you mean 'coding'" in error_for(kernel, "codng")


def test_unreadable_team_file_is_reported_not_fatal(kernel, write, project):
    write("teams/good.toml", '[daemons.a]\ntype = "recorder"\n')
    bad = write("teams/bad.toml", '[daemons.a]\ntype = "recorder"\n')
    bad.write_bytes(b"\xff\xfe not utf-8")
    teams = kernel().teams()
    assert teams.get("good")
    assert "cannot read" in error_for(kernel, "missing") and "bad.toml" in error_for(kernel, "missing")


def test_kin_teams_json_and_show(kin, write, project):
    write("teams/coding.toml", GOOD)
    env = plugin_env("sampledaemons")
    listed = json.loads(kin("teams", "--json", cwd=project, env=env, check=True).stdout)
    # the project's coding team, which overrides the coding team a plugin ships
    assert [t for t in listed if t["name"] == "coding"] == [
        {"name": "coding", "source": "teams/coding.toml", "valid": True, "daemons": ["production", "validation"],
         "meta": ["idle"], "description": "Software development"}]
    shown = json.loads(kin("teams", "show", "coding", "--json", cwd=project, env=env, check=True).stdout)
    assert shown["phases"] == {"expansion": ["production"], "convergence": ["validation"]}
    assert shown["daemons"][0]["every"] == 60.0
    human = kin("teams", "show", "coding", cwd=project, env=env, check=True).stdout
    assert "production" in human and "every 60s" in human


def test_kin_teams_reports_a_broken_team_in_one_line_and_exit_2(kin, write, project):
    write("teams/t.toml", '[daemons.a]\ntype = "nope"\n')
    proc = kin("teams", cwd=project, env=plugin_env("sampledaemons"))
    assert proc.returncode == 2
    error_lines = [line for line in proc.stderr.splitlines() if line.startswith("kin: error:")]
    assert len(error_lines) == 1 and "unknown daemon type 'nope'" in error_lines[0]
    assert "Traceback" not in proc.stderr
