"""The resolved spec a runner is started with: written whole, read back the same, refused in one line if damaged."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shadeos_core import runner
from shadeos_core.errors import ConfigError
from shadeos_core.kernel import Kernel
from shadeos_core.runspec import read_spec, spec_path, write_spec

TEAM = '''[team]
name = "t"
mission = "demande.md"
cycle = "2s"

[daemons.check]
type = "command"
command = ["true"]
every = "30s"
watch = ["src/**"]
description = "as resolved"

[meta.janitor]
every = "30s"

[phases.one]
daemons = ["check"]
'''


@pytest.fixture
def written(project: Path) -> tuple[Kernel, Path]:
    (project / "teams").mkdir()
    (project / "teams" / "t.toml").write_text(TEAM)
    kernel = Kernel.load(project)
    team = kernel.teams().get("t")
    return kernel, write_spec(kernel.workspace, team, team.member("check"))


def test_a_spec_reads_back_as_the_team_resolved(written):
    kernel, path = written
    assert path == spec_path(kernel.workspace, "t.check")
    original = kernel.teams().get("t")
    team, spec = read_spec(path)
    assert spec == original.member("check") and team.member("janitor") == original.member("janitor")
    assert (team.name, team.mission, team.settings, team.phases) == ("t", "demande.md", {"cycle": 2.0},
                                                                     {"one": ["check"]})
    assert team.source.path == original.source.path


def test_the_runner_builds_the_daemon_of_the_spec_not_of_the_team_file_now(written, project):
    kernel, path = written
    (project / "teams" / "t.toml").write_text(TEAM.replace("as resolved", "edited since"))
    daemon = runner.build("t", "check", None, str(path))
    assert daemon.spec.description == "as resolved" and daemon.team.mission == "demande.md"
    assert runner.build("t", "check", None).spec.description == "edited since"  # by hand: the files of now


@pytest.mark.parametrize("damage", [
    lambda d: "{not json",
    lambda d: json.dumps([d]),
    lambda d: json.dumps({**d, "schema": 2}),
    lambda d: json.dumps({**d, "daemon": "nobody"}),
    lambda d: json.dumps({**d, "team": {**d["team"], "daemons": [{**d["team"]["daemons"][0], "every": "often"}]}}),
    lambda d: json.dumps({**d, "team": {**d["team"], "daemons": [{**d["team"]["daemons"][0], "evil": 1}]}}),
    lambda d: json.dumps({**d, "team": {**d["team"], "daemons": [{**d["team"]["daemons"][0], "meta": 1}]}}),
    lambda d: json.dumps({**d, "team": {**d["team"], "daemons": [{**d["team"]["daemons"][0], "team": "u"}]}}),
    lambda d: json.dumps({**d, "team": {**d["team"], "phases": {"one": [3]}}}),
])
def test_a_damaged_spec_is_one_line(written, damage):
    _kernel, path = written
    path.write_text(damage(json.loads(path.read_text())))
    with pytest.raises(ConfigError) as caught:
        read_spec(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_the_runner_refuses_a_damaged_or_foreign_spec_in_one_line(written, capsys):
    _kernel, path = written
    assert runner.main(["--team", "t", "--daemon", "janitor", "--spec", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kin: error: ") and err.count("\n") == 1 and "t.check" in err
    path.write_bytes(b"\xff\xfe")
    assert runner.main(["--team", "t", "--daemon", "check", "--spec", str(path)]) == 2
    err = capsys.readouterr().err
    assert "damaged daemon spec" in err and err.count("\n") == 1
