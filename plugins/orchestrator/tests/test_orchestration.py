"""The orchestration cycle in real processes: delays, conflicts, tasks and phases."""
from __future__ import annotations

import json
import os
import signal

from orchestrator_testkit import child_env, luciorbes, team_processes, team_toml, wait_for


def _marks(project, prefix):
    directory = project / "marks"
    return sorted(p for p in directory.glob(prefix + "*")) if directory.is_dir() else []


def test_a_late_heartbeat_is_reported_then_the_daemon_is_restarted(project, write, run_team):
    write("teams/t.toml", team_toml(team={"late_limit": '"3s"'}, daemons={"h": {"type": "silent"}, "a": {"type": "sleeper"}}))
    run = run_team("t")
    first = run.wait_state("h", "RUNNING")
    late = run.wait_state("h", "RUNNING", late=lambda v: v is True)
    assert late["heartbeat_age"] > 1.5  # 3 x its 0.5 s heartbeat
    assert run.daemon("a")["late"] is False
    run.wait_state("h", "RUNNING", restarts=lambda n: n >= 1, pid=lambda pid: pid != first["pid"])
    assert "late: no heartbeat" in run.output and "silent for" in run.output


def test_two_daemons_on_the_same_file_produce_a_conflict_and_the_later_waits(project, write, run_team, kin):
    write("teams/t.toml", team_toml(daemons={"first": {"type": "claimer", "file": "src/parser.py"},
                                             "second": {"type": "claimer", "file": "./src/parser.py", "delay": 1.5,
                                                        "start_seconds": '"3s"'}}))
    run = run_team("t")
    conflict = wait_for(lambda: (run.state() or {}).get("conflicts"), what="a conflict")
    assert conflict == [{"file": "src/parser.py", "holder": "t.first", "waiting": "t.second", "exclusive": False}]
    told = wait_for(lambda: _marks(project, "second.conflict"), what="the later claimant to be told")
    body = json.loads(told[0].read_text())
    assert body["wait"] is True and body["holder"] == "t.first" and body["file"] == "src/parser.py"
    assert _marks(project, "first.conflict") == []
    assert run.daemon("second")["conflict"]["holder"] == "t.first"
    assert "conflict on src/parser.py: t.second told to wait for t.first" in run.output
    status = kin("status", cwd=project, env=child_env())
    assert "conflict on src/parser.py: t.second waits for t.first" in status.stdout


def test_a_task_goes_to_an_idle_worker_and_back_to_the_queue_when_it_is_killed(project, write, run_team, kin):
    write("teams/t.toml", team_toml(daemons={"w": {"type": "worker", "restart": "never"}, "a": {"type": "sleeper"}}))
    run = run_team("t")
    worker = run.wait_state("w", "RUNNING", heartbeat_age=lambda age: age is not None)
    added = kin("task", "add", "Write the parser", "--json", cwd=project, env=child_env())
    task_id = json.loads(added.stdout)["id"]
    wait_for(lambda: _marks(project, "w.task"), what="the worker to get the task")
    listed = json.loads(kin("task", "list", "--json", cwd=project, env=child_env()).stdout)
    assert [(t["id"], t["state"], t["holder"]) for t in listed] == [(task_id, "claimed", "t.w")]
    os.kill(worker["pid"], signal.SIGKILL)
    run.wait_state("w", "EXITED")

    def back() -> dict | None:
        tasks = json.loads(kin("task", "list", "--json", cwd=project, env=child_env()).stdout)
        return tasks[0] if tasks and tasks[0]["state"] == "queued" else None

    task = wait_for(back, what="the task to return to the queue")
    assert task["holder"] is None and task["history"][-1]["event"] == "released"
    assert "holder t.w is EXITED" in task["history"][-1]["reason"]
    assert "task requeued" in run.output


def test_a_worker_completes_a_task_reserved_for_it(project, write, run_team, kin):
    write("teams/t.toml", team_toml(daemons={"w1": {"type": "worker", "complete": True},
                                             "w2": {"type": "worker", "complete": True}}))
    run = run_team("t")
    run.wait_all_running(["w1", "w2"])
    kin("task", "add", "only for w2", "--to", "w2", cwd=project, env=child_env(), check=True)

    def done() -> list | None:
        tasks = json.loads(kin("task", "list", "--state", "done", "--json", cwd=project, env=child_env()).stdout)
        return tasks or None

    task = wait_for(done, what="the task to be done")[0]
    assert task["holder"] == "t.w2" and task["result"] == "done by t.w2"
    assert _marks(project, "w1.task") == []


def _tasks(kin, project, *states):
    args = [a for state in states for a in ("--state", state)]
    return json.loads(kin("task", "list", *args, "--json", cwd=project, env=child_env(), check=True).stdout)


def test_a_task_its_worker_keeps_failing_rests_between_tries_then_moves_to_failed(project, write, run_team, kin):
    write("kin.toml", '[tasks]\nmax_failures = 3\nretry_after = "0.5s"\n')
    write("teams/t.toml", team_toml(daemons={"w": {"type": "worker", "fail": True}}))
    run = run_team("t")
    run.wait_all_running(["w"])
    task_id = json.loads(kin("task", "add", "Write the parser", "--json", cwd=project, env=child_env()).stdout)["id"]
    failed = wait_for(lambda: _tasks(kin, project, "failed"), 60, lambda: f"the task to fail\n{run.output}")[0]
    assert failed["id"] == task_id and failed["failures"] == 3 and failed["attempts"] == 3
    events = [e for e in failed["history"] if e["event"] != "added"]
    assert [e["event"] for e in events] == ["claimed", "released", "claimed", "released", "claimed", "failed"]
    for released, claimed in ((events[1], events[2]), (events[3], events[4])):
        assert claimed["time"] >= released["retry_at"]  # it rested before it was handed out again
    assert events[3]["retry_at"] - events[3]["time"] > events[1]["retry_at"] - events[1]["time"]  # doubled
    assert events[-1]["reason"] == "the parser does not build"
    assert len(_marks(project, "w.task")) == 3  # and never again
    wait_for(lambda: "task failed: 'Write the parser' (the parser does not build)" in run.output, 30,
             lambda: f"the orchestrator to say the task failed\n{run.output}")
    assert "task requeued: 'Write the parser' (the parser does not build; failure 1 of 3" in run.output
    shown = kin("task", "list", cwd=project, env=child_env(), check=True).stdout
    assert "failed" in shown and "the parser does not build" in shown
    # kin task retry puts it back, its failures forgotten: the worker gets it once more
    assert kin("task", "retry", task_id, cwd=project, env=child_env(), check=True).stdout.startswith("1 task(s)")
    wait_for(lambda: len(_marks(project, "w.task")) == 4, 30, "the worker to get the task again")
    missing = kin("task", "retry", "nope", cwd=project, env=child_env())
    assert missing.returncode == 2 and "no failed task 'nope'" in missing.stderr


def test_a_task_whose_message_its_worker_rejects_fails_through_the_dead_letters(project, write, run_team, kin):
    write("kin.toml", '[tasks]\nmax_failures = 1\n')
    write("teams/t.toml", team_toml(daemons={"w": {"type": "worker", "reject": True}}))
    run = run_team("t")
    run.wait_all_running(["w"])
    kin("task", "add", "Write the parser", cwd=project, env=child_env(), check=True)
    failed = wait_for(lambda: _tasks(kin, project, "failed"), 60, lambda: f"the task to fail\n{run.output}")[0]
    assert "rejected the task's message" in failed["history"][-1]["reason"]
    dead = json.loads(kin("mail", "dead", "--json", cwd=project, env=child_env(), check=True).stdout)
    assert [(d["daemon_id"], d["kind"], d["tries"]) for d in dead] == [("t.w", "task", 3)]
    assert "cannot handle task" in dead[0]["error"]
    assert run.daemon("w")["state"] == "RUNNING" and _tasks(kin, project, "queued", "claimed") == []


def test_bad_task_settings_are_refused_at_start(project, write, kin):
    write("kin.toml", '[tasks]\nmax_failures = 0\n')
    write("teams/t.toml", team_toml(daemons={"w": {"type": "worker"}}))
    started = kin("t", cwd=project, env=child_env(), timeout=60)
    assert started.returncode != 0 and "Traceback" not in started.stderr
    assert [line for line in started.stderr.splitlines() if line.startswith("kin: error")] == [
        next(line for line in started.stderr.splitlines() if "[tasks] max_failures" in line)]


def test_a_phase_change_starts_and_stops_only_the_right_daemons(project, write, run_team):
    write("teams/t.toml", team_toml(meta={"watcher": {}},
                                    daemons={"spec": {"type": "sleeper"}, "check": {"type": "sleeper"},
                                             "always": {"type": "sleeper"}},
                                    phases={"expansion": ["spec"], "convergence": ["check"]}))
    phase = project / ".kin" / "state" / "phase.json"
    phase.parent.mkdir(parents=True)
    phase.write_text(json.dumps({"phase": "expansion", "since": "now"}))
    run = run_team("t")
    before = run.wait_all_running(["watcher", "spec", "always"])
    assert run.daemon("check")["state"] == "STOPPED" and run.daemon("check")["pid"] is None
    phase.write_text(json.dumps({"phase": "convergence"}))
    run.wait_state("check", "RUNNING")
    run.wait_state("spec", "STOPPED")
    assert run.daemon("always")["pid"] == before["always"]["pid"]
    assert run.daemon("watcher")["pid"] == before["watcher"]["pid"]
    assert (run.state() or {})["phase"] == "convergence"
    assert "phase expansion -> convergence; starting check; stopping spec" in run.output
    phase.unlink()  # no phase: everyone runs
    run.wait_state("spec", "RUNNING")
    assert run.daemon("check")["state"] == "RUNNING"
    run.signal(signal.SIGINT)
    assert run.wait_exit() == 0
    assert team_processes(project) == [] and luciorbes(project) == []
