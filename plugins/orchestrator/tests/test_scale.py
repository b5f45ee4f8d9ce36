"""Large teams: a size cap, starts at a bounded pace, a stop that does not need a thread per daemon."""
from __future__ import annotations

import re
from collections import Counter

from orchestrator_testkit import luciorbes, team_processes, team_toml


def test_a_team_over_max_daemons_is_refused_before_anything_starts(project, write, kin):
    write("kin.toml", "[orchestrator]\nmax_daemons = 2\n")
    write("teams/t.toml", team_toml(daemons={f"d{i}": {"type": "sleeper"} for i in range(3)}))
    from orchestrator_testkit import child_env

    proc = kin("t", cwd=project, env=child_env())
    assert proc.returncode == 2
    assert "team 't' has 3 daemons, more than [orchestrator] max_daemons = 2" in proc.stderr
    assert team_processes(project) == []


def test_bad_orchestrator_settings_are_one_line(project, write, kin):
    from orchestrator_testkit import child_env

    write("teams/t.toml", team_toml(daemons={"a": {"type": "sleeper"}}))
    for text, message in (("[orchestrator]\nstart_rate = 0\n", "[orchestrator] start_rate: number 0 is out of range"),
                          ("[orchestrator]\nstart_rat = 3\n", "did you mean 'start_rate'?")):
        write("kin.toml", text)
        proc = kin("t", cwd=project, env=child_env())
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_a_large_team_starts_in_waves_and_stops_whole(project, write, run_team):
    write("kin.toml", "[orchestrator]\nstart_rate = 5\n")
    names = [f"d{i:02d}" for i in range(30)]
    write("teams/t.toml", team_toml(daemons={n: {"type": "sleeper"} for n in names}))
    run = run_team("t")
    run.wait_all_running(names, timeout=120)
    starts = Counter(re.findall(r"^(\d\d:\d\d:\d\d) t\.d\d\d: STARTING", run.output, re.M))
    assert sum(starts.values()) == 30 and len(starts) >= 4  # in waves, not all in one go
    assert max(starts.values()) <= 10  # at most start_rate a second (plus the bucket's start)
    assert run.stop() == 0
    assert team_processes(project) == [] and luciorbes(project) == []
