"""Managing the task queue from the command line: targets checked, tasks cancelled, damaged files set aside,
and a task nobody can take said to wait."""
from __future__ import annotations

import json

from orchestrator_testkit import child_env, team_toml, wait_for


def kin_json(kin, project, *args):
    return json.loads(kin(*args, "--json", cwd=project, env=child_env(), check=True).stdout)


def test_a_task_for_a_daemon_no_team_has_is_refused_with_the_closest_name(project, write, kin):
    write("teams/t.toml", team_toml(daemons={"writer": {"type": "worker"}, "a": {"type": "sleeper"}}))
    typo = kin("task", "add", "Write", "--to", "writr", cwd=project, env=child_env())
    assert typo.returncode == 2 and typo.stderr.strip() == (
        "kin: error: no team here has a daemon 'writr' to take this task (did you mean 'writer'?)")
    for target in ("writer", "t.writer"):
        added = kin("task", "add", "Write", "--to", target, cwd=project, env=child_env(), check=True)
        assert "queued task" in added.stdout
    assert kin_json(kin, project, "task", "list")[0]["to"] == "writer"


def test_a_task_queued_while_nothing_can_take_it_says_why_it_waits(project, write, run_team, kin):
    write("teams/t.toml", team_toml(daemons={"a": {"type": "sleeper"}}))
    alone = kin("task", "add", "Write the parser", cwd=project, env=child_env(), check=True)
    assert "no team is running here" in alone.stderr
    run = run_team("t")
    run.wait_all_running(["a"])
    busy = kin("task", "add", "Write the docs", cwd=project, env=child_env(), check=True)
    assert "no daemon of the running team (t) takes tasks" in busy.stderr
    wait_for(lambda: run.output.count("task waits:") == 2, 30, lambda: run.output)
    assert "task waits: 'Write the parser' (no daemon of this team takes tasks)" in run.output


def test_cancel_moves_a_queued_or_held_task_to_done_and_its_holder_cannot_complete_it(project, write, run_team,
                                                                                          kin):
    write("teams/t.toml", team_toml(daemons={"w": {"type": "worker"}}))
    queued = kin_json(kin, project, "task", "add", "Never mind")
    (cancelled,) = kin_json(kin, project, "task", "cancel", queued["id"])
    assert cancelled["state"] == "done" and cancelled["result"] == {"outcome": "cancelled"}
    assert "cancelled" in kin("task", "list", cwd=project, env=child_env(), check=True).stdout
    again = kin("task", "cancel", queued["id"], cwd=project, env=child_env())
    assert again.returncode == 2 and "is already done" in again.stderr
    missing = kin("task", "cancel", "nope", cwd=project, env=child_env())
    assert missing.returncode == 2 and "no task 'nope'" in missing.stderr
    other = kin_json(kin, project, "task", "add", "Nor this")
    mixed = kin("task", "cancel", other["id"], "nope", cwd=project, env=child_env())  # one of two: said, and exit 2
    assert mixed.returncode == 2 and mixed.stdout.strip() == f"cancelled task {other['id']}", mixed
    assert "not cancelled: no task 'nope'" in mixed.stderr
    run = run_team("t")
    run.wait_all_running(["w"])
    held = kin_json(kin, project, "task", "add", "Write the parser")
    wait_for(lambda: kin_json(kin, project, "task", "list", "--state", "claimed"), 30, "the worker to take it")
    out = kin("task", "cancel", held["id"], cwd=project, env=child_env(), check=True).stdout
    assert out.strip() == f"cancelled task {held['id']} (it was held by t.w)"
    assert [t["id"] for t in kin_json(kin, project, "task", "list", "--state", "done")] == [queued["id"], other["id"], held["id"]]


def test_a_damaged_task_file_is_set_aside_and_said(project, write, run_team, kin):
    write("teams/t.toml", team_toml(daemons={"w": {"type": "worker"}}))
    new = project / ".kin" / "tasks" / "new"
    new.mkdir(parents=True)
    (new / "00000000000000000001-1-0000.json").write_text("{half a task")
    (new / "00000000000000000002-1-0000.json").write_text('{"id": "x"}')
    listed = kin("task", "list", cwd=project, env=child_env(), check=True)
    assert listed.stdout.strip() == "no tasks"
    warnings = [line for line in listed.stderr.splitlines() if line.startswith("kin: warning: damaged task file")]
    assert len(warnings) == 2 and "not valid JSON" in warnings[0] and "not a task" in warnings[1]
    aside = project / ".kin" / "quarantine" / "tasks"
    assert sorted(p.name for p in aside.iterdir()) == [
        "new-00000000000000000001-1-0000.json", "new-00000000000000000001-1-0000.why.json",
        "new-00000000000000000002-1-0000.json", "new-00000000000000000002-1-0000.why.json"]
    assert (aside / "new-00000000000000000001-1-0000.json").read_text() == "{half a task"  # kept as it was
    assert kin("task", "list", cwd=project, env=child_env(), check=True).stderr == ""  # said once
    run = run_team("t")
    run.wait_all_running(["w"])
    (new / "00000000000000000003-1-0000.json").write_text("[]")
    wait_for(lambda: "task file set aside: '.kin/tasks/new/00000000000000000003-1-0000.json" in run.output, 30,
             lambda: run.output)
