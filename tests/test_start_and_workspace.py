"""A team refuses to start on bad configuration; state is only ever kept in a workspace; kin init leaves other
tools' TOML files in teams/ alone and says so."""
from __future__ import annotations

import os

import pytest

TEAM = """[team]
cycle = "0.2s"
[meta.map]
[meta.context]
[meta.archivist]
[meta.janitor]
[daemons.worker]
type = "command"
command = ["true"]
every = "1h"
"""

BAD = [
    ("[agents\nmodel = 'x'\n", "TOML syntax error"),
    ("[map]\nbudget = 'big'\n", "[map] budget"),
    ("[map]\nbogus = 1\n", "[map] bogus: unknown key"),
    ("[archivist]\nconsolidate_every = 'never'\n", "consolidate_every: bad duration 'never'"),
    ("[context]\nttl = 'x'\n", "context.ttl"),
    ("[luciorbe]\nstale_after = -1\n", "luciorbe.stale_after"),
    ("[logs]\nmax_bytes = 'x'\n", "[logs] max_bytes"),
    ("[tasks]\nmax_failures = 0\n", "[tasks] max_failures"),
    ("[orchestrator]\nmax_daemons = -1\n", "[orchestrator] max_daemons"),
    # an unknown key: the same line from every table's owner, with its line and the closest key
    ("[map]\nbudget = 10\nbudjet = 1\n", "kin.toml:3: [map] budjet: unknown key (did you mean 'budget'?)"),
    ("[archivist]\ndurabilty = 1\n", "kin.toml:2: [archivist] durabilty: unknown key (did you mean 'durability'?)"),
    ("[context]\nttls = 1\n", "kin.toml:2: [context] ttls: unknown key (did you mean 'ttl'?)"),
    ("[luciorbe]\nstale_afte = 1\n", "kin.toml:2: [luciorbe] stale_afte: unknown key (did you mean 'stale_after'?)"),
    ("[logs]\nkeeps = 1\n", "kin.toml:2: [logs] keeps: unknown key (did you mean 'keep'?)"),
    ("[tasks]\nmax_retries = 2\n", "kin.toml:2: [tasks] max_retries: unknown key"),
    ("[orchestrator]\nstart_rat = 3\n", "kin.toml:2: [orchestrator] start_rat: unknown key (did you mean 'start_rate'?)"),
]


@pytest.mark.parametrize(("config", "said"), BAD, ids=[b[1].split()[0].strip("[:") if "unknown key" not in b[1]
                                                      else b[0].split("]")[0].strip("[") + "-unknown-key" for b in BAD])
def test_a_team_refuses_to_start_on_bad_configuration(project, write, kin, config, said):
    write("kin.toml", config)
    write("teams/t.toml", TEAM)
    started = kin("t", cwd=project, timeout=60)
    assert started.returncode == 2, started.stdout + started.stderr
    lines = started.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kin: error: ") and said in lines[0], started.stderr
    assert str(project / "kin.toml") in lines[0]  # where
    logs = project / ".kin" / "logs"
    assert not logs.exists() or list(logs.iterdir()) == []  # no daemon was started
    assert not (project / ".kin" / "run" / "teams" / "t.json").exists()


STATEFUL = [("task", "add", "Write the parser"), ("memory", "add", "a note"),
            ("context", "set", "t.worker", "notes", "{}"), ("context", "persist"), ("map", "--write")]


@pytest.mark.parametrize("args", STATEFUL, ids=[" ".join(a[:2]) for a in STATEFUL])
def test_commands_that_keep_state_refuse_outside_a_workspace(tmp_path, kin, args):
    somewhere = tmp_path / "downloads"
    somewhere.mkdir()
    assert not any((p / m).exists() for p in (somewhere, *somewhere.parents) for m in ("kin.toml", "teams", ".kin",
                                                                                       ".git"))
    done = kin(*args, cwd=somewhere)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (f"kin: error: {somewhere} is not a kin workspace (no kin.toml, teams/, .kin/ or "
                                   ".git here or in a parent directory), so kin keeps no state here (run kin init "
                                   "here to make it one, or cd into your project)")
    assert os.listdir(somewhere) == []  # no .kin/ left behind
    kin("init", cwd=somewhere, check=True)
    assert kin(*args, cwd=somewhere).returncode == 0  # a workspace now


def test_kin_init_leaves_other_tools_toml_in_teams_alone_and_says_so(project, kin):
    (project / "kin.toml").unlink()
    (project / "teams").mkdir()
    (project / "teams" / "roster.toml").write_text('players = ["ana", "bo"]\n[coach]\nname = "cy"\n')
    said = kin("init", cwd=project, check=True).stdout
    assert ("note: teams/roster.toml is not a team file (no [team], [daemons], [meta] or [phases] table): kin "
            "leaves it alone") in said
    checked = kin("check", "--json", cwd=project)
    assert checked.returncode == 0, checked.stdout
    assert '"level": "info"' in checked.stdout and "roster.toml" in checked.stdout
    teams = kin("teams", cwd=project, check=True).stdout
    assert "roster" not in teams and "default" in teams
    assert (project / "teams" / "roster.toml").read_text().startswith("players")  # untouched
