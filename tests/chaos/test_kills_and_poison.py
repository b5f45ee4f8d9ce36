"""Random SIGKILLs of daemons and of the orchestrator while messages flow, some of them poison (a handler that
calls sys.exit, raises KeyboardInterrupt, recurses without end, or kills its process). Every good message sent is
handled, every poison ends in the dead letters, the team comes back whole, and nothing is left behind."""
from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

from chaos_kit import chaos_env

from shadeos_core.mailbox import Mailbox
from shadeos_core.testing import TeamRun, team_processes, wait_for
from shadeos_core.workspace import Workspace

NAMES = [f"r{i}" for i in range(4)]
POISONS = ["exit", "interrupt", "recursion", "die"]
TEAM = "[team]\ncycle = \"0.2s\"\nstop_timeout = \"5s\"\nflap_restarts = 1000\n" + "".join(
    f'[daemons.{name}]\ntype = "recorder"\nheartbeat = "0.5s"\nstart_seconds = "0.3s"\n' for name in NAMES)


def handled(project) -> set[str]:
    directory = project / "handled"
    ids: set[str] = set()
    for path in directory.glob("*") if directory.is_dir() else []:
        ids.update(path.read_text().split())
    return ids


def running(run: TeamRun) -> list[dict]:
    try:
        return [d for d in (run.state() or {}).get("daemons", []) if d["state"] == "RUNNING" and d["pid"]]
    except ValueError:  # the state file between two writes of a dying orchestrator
        return []


def test_kills_of_daemons_and_of_the_orchestrator_with_poison_in_the_mail(project, write, kin):
    write("teams/t.toml", TEAM)
    env = chaos_env("chaos_daemons")
    run = TeamRun(project, "t", env)
    workspace = Workspace(project)
    rng = random.Random(13)
    good: list[str] = []
    kills = 0
    try:
        wait_for(lambda: len(running(run)) == len(NAMES), 60, lambda: run.output)
        for i in range(160):
            target = f"t.{rng.choice(NAMES)}"
            Mailbox.send(workspace, target, {"id": f"m{i}"})  # acknowledged: it must be handled
            good.append(f"m{i}")
            if i % 40 == 20:
                how = POISONS[i // 40]
                Mailbox.send(workspace, target, {"id": f"poison-{how}", "poison": how})
            if i % 10 == 5 and (victims := running(run)):
                os.kill(rng.choice(victims)["pid"], signal.SIGKILL)
                kills += 1
            if i == 100:  # the orchestrator dies: its daemons follow it; a new one takes the team over
                os.kill(run.proc.pid, signal.SIGKILL)
                run.proc.wait(30)
                wait_for(lambda: team_processes(project) == [], 30, "the daemons to follow their orchestrator")
                run = TeamRun(project, "t", env)
                wait_for(lambda: len(running(run)) == len(NAMES), 60, lambda: run.output)
            time.sleep(0.05)
        assert kills >= 15
        wait_for(lambda: set(good) <= handled(project), 120,
                 lambda: f"every good message handled; missing {sorted(set(good) - handled(project))[:20]}\n"
                         f"{run.output[-3000:]}")
        dead = wait_for(lambda: len(d := json.loads(kin("mail", "dead", "--json", cwd=project, env=env).stdout))
                        >= len(POISONS) and d, 120, lambda: run.output[-3000:])
        bodies = [json.loads(Path(d["path"]).read_text(encoding="utf-8"))["body"] for d in dead]
        assert len(dead) == len(POISONS) and all(d["tries"] == 3 for d in dead), json.dumps([bodies, dead])
        assert sorted(b["poison"] for b in bodies) == sorted(POISONS)  # the poisons, and only them
        assert {d["reason"] for d in dead} == {"rejected"}
        assert not any(h.startswith("poison") for h in handled(project))
        wait_for(lambda: len(running(run)) == len(NAMES), 60, lambda: run.output)
    finally:
        code = run.stop()
    assert code == 0, run.output[-3000:]
    assert team_processes(project) == []
    assert list(project.rglob(".luciorbe*")) == []
