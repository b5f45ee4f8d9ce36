"""The daemon runtime in real processes: triggers, heartbeat, luciorbes, signals, crashes, events."""
import json
import os
import signal
import time
from pathlib import Path

import pytest
from helpers import kill_group, plugin_env, start_runner, wait_for

from shadeos_core import Mailbox, Workspace
from shadeos_core.luciorbe import read_luciorbe
from shadeos_core.luciorbe_record import recorded_paths

TEAM = """
[daemons.rec]
type = "recorder"
every = "{every}"
on_message = true
watch = ["src/**/*.py"]
debounce = "0.2s"
heartbeat = "0.3s"
record = "rec.jsonl"
crash_on = "die"
"""


def records(project: Path):
    path = project / "rec.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def runner(project, write, tmp_path):
    procs = []
    events = tmp_path / "events.jsonl"

    def start(every="1h", **extra):
        write("teams/t.toml", TEAM.format(every=every))
        env = plugin_env("sampledaemons", "eventlog", KIN_TEST_EVENTS=str(events), **extra)
        proc = start_runner("t", "rec", project, env)
        procs.append(proc)
        # a runner starts an interpreter and loads every plugin: on a loaded machine that can take a while
        wait_for(lambda: any("cycle" in r for r in records(project)), 60, what="the first cycle")
        return proc

    start.events = lambda: [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []
    yield start
    for proc in procs:
        kill_group(proc)


def test_first_cycle_then_messages_and_file_changes_trigger_cycles(runner, project):
    proc = runner()
    Mailbox.send(Workspace(project), "t.rec", {"hello": 1}, sender="test")
    wait_for(lambda: any(i["type"] == "message" for r in records(project) for i in r.get("injections", [])),
             what="a cycle with the message")
    src = project / "src" / "pkg"
    src.mkdir(parents=True)
    for i in range(20):  # a burst: debounced into one cycle
        (src / f"m{i}.py").write_text("x = 1\n")
    (src / "ignored.txt").write_text("not watched")
    wait_for(lambda: any(i["type"] == "files" for r in records(project) for i in r.get("injections", [])),
             what="a cycle with changed files")
    time.sleep(0.5)
    file_cycles = [i["content"] for r in records(project) for i in r.get("injections", []) if i["type"] == "files"]
    assert sorted({p for batch in file_cycles for p in batch}) == sorted(f"src/pkg/m{i}.py" for i in range(20))
    assert len(file_cycles) <= 3  # debounced, not one cycle per write
    assert proc.poll() is None


def test_interval_trigger_and_heartbeat_keep_the_luciorbe_fresh(runner, project):
    runner(every="0.2s")
    wait_for(lambda: len(records(project)) >= 4, what="interval cycles")
    luc_path = project / ".luciorbe.t.rec"
    first = read_luciorbe(luc_path)
    assert (first.daemon_id, first.team, first.daemon_type, first.pid_started > 0) == ("t.rec", "t", "recorder", True)
    assert first.task == "recording" and int(first.progress) >= 1
    wait_for(lambda: read_luciorbe(luc_path).last_update != first.last_update, what="a heartbeat")
    assert str(luc_path) in map(str, recorded_paths(Workspace(project))["t.rec"])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_tears_down_removes_luciorbes_and_exits_0(runner, project, sig):
    proc = runner()
    assert (project / ".luciorbe.t.rec").exists()
    # the cycle's record is written inside the cycle: a signal before the cycle returns interrupts it (by design),
    # and no cycle event is emitted; stop it once the first cycle has ended
    wait_for(lambda: "cycle" in [e["kind"] for e in runner.events()], 30, "the first cycle's event")
    os.kill(proc.pid, sig)
    assert proc.wait(timeout=10) == 0
    assert records(project)[-1] == {"teardown": True, "pid": proc.pid}
    assert not list(project.glob(".luciorbe*"))
    assert "t.rec" not in recorded_paths(Workspace(project))
    kinds = [e["kind"] for e in runner.events()]
    assert kinds[0] == "started" and "cycle" in kinds and kinds[-1] == "stopped"


def test_stop_signal_interrupts_a_long_cycle(project, write):
    write("teams/t.toml", '[daemons.rec]\ntype = "recorder"\nslow_cycle = 60\nrecord = "rec.jsonl"\n')
    proc = start_runner("t", "rec", project, plugin_env("sampledaemons"))
    try:
        wait_for(lambda: records(project), what="the slow cycle to start")
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert records(project)[-1]["teardown"] is True
        assert not any("finished" in r for r in records(project))
    finally:
        kill_group(proc)


def test_a_stop_lets_a_finishing_cycle_end_first(project, write):
    """A cycle that called finishing() (its work done, its bookkeeping left) is not cut short by a stop: it
    returns, then the runner tears down and exits 0."""
    write("teams/t.toml", '[daemons.rec]\ntype = "recorder"\nslow_cycle = 1\nfinishing = true\n'
                          'record = "rec.jsonl"\n')
    proc = start_runner("t", "rec", project, plugin_env("sampledaemons"))
    try:
        wait_for(lambda: records(project), what="the finishing cycle to start")
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert [next(iter(r)) for r in records(project)] == ["pid", "finished", "teardown"]
    finally:
        kill_group(proc)


def test_a_crash_exits_non_zero_with_the_traceback_in_the_log(runner, project):
    proc = runner()
    (project / "src").mkdir()
    (project / "src" / "crash_now.py").write_text("x = 1\n")  # a watched file the daemon fails on: its own bug
    assert proc.wait(timeout=15) == 1
    log = (project / ".kin/logs/t.rec.log").read_text()
    assert "Traceback" in log and "RuntimeError: asked to crash by a file" in log
    assert "crashed" in proc.stderr.read() and not list(project.glob(".luciorbe*"))
    assert runner.events()[-1]["kind"] == "crashed"


@pytest.mark.parametrize("poison, error", [
    ("die", "RuntimeError: asked to crash"), ("exit", "SystemExit: 3"), ("interrupt", "KeyboardInterrupt"),
    ("recurse", "RecursionError: maximum recursion depth exceeded"),
])
def test_a_poison_message_is_retried_then_dead_lettered_and_the_daemon_goes_on(runner, project, kin, poison, error):
    proc = runner()
    workspace = Workspace(project)
    Mailbox.send(workspace, "t.rec", poison, sender="test")
    Mailbox.send(workspace, "t.rec", "after", sender="test")
    wait_for(lambda: any(i["content"] == "after" for r in records(project) for i in r.get("injections", [])),
             what="the next message handled")
    dead = wait_for(lambda: Mailbox(workspace, "t.rec").dead(), what="the poison in the dead letters")
    assert proc.poll() is None  # the same process: never crashed
    assert (len(dead), dead[0].tries, dead[0].sender, dead[0].reason) == (1, 3, "test", "rejected")
    assert dead[0].error.startswith(error)
    base = dead[0].name.removesuffix(".json")
    kinds = [e["kind"] for e in runner.events() if e["kind"] in ("delivery_failed", "dead_letter")
             and e["data"]["message"].startswith(base)]
    assert kinds == ["delivery_failed", "delivery_failed", "dead_letter"]  # three deliveries, the last one fatal
    listed = json.loads(kin("mail", "dead", "--json", cwd=project, env=plugin_env("sampledaemons"),
                            check=True).stdout)
    assert [(d["daemon_id"], d["tries"], d["reason"]) for d in listed] == [("t.rec", 3, "rejected")]
    assert listed[0]["error"].startswith(error)


def test_a_message_that_kills_its_receiver_is_dead_lettered_after_three_deaths(project, write):
    write("teams/t.toml", TEAM.format(every="1h"))
    env = plugin_env("sampledaemons")
    workspace = Workspace(project)
    Mailbox.send(workspace, "t.rec", "vanish", sender="test")
    outcomes = []
    for _ in range(4):
        proc = start_runner("t", "rec", project, env)
        try:
            outcomes.append(wait_for(lambda: (proc.poll() is not None and f"exit {proc.returncode}")
                                     or (Mailbox(workspace, "t.rec").dead() and "alive"), 30, "an exit or a dead letter"))
        finally:
            kill_group(proc)
    assert outcomes == ["exit 9", "exit 9", "exit 9", "alive"]
    dead = Mailbox(workspace, "t.rec").dead()
    assert dead[0].tries == 3 and dead[0].error == "the receiver died while handling it"


def test_a_task_luciorbe_lives_in_its_directory_and_goes_on_stop(project, write):
    (project / "work").mkdir()
    write("teams/t.toml", '[daemons.w]\ntype = "worker"\ndir = "work"\nevery = "0.2s"\nheartbeat = "0.2s"\n')
    proc = start_runner("t", "w", project, plugin_env("sampledaemons"))
    try:
        luc = wait_for(lambda: (project / "work/.luciorbe.t.w").exists() and read_luciorbe(project / "work/.luciorbe.t.w"),
                       what="the task luciorbe")
        assert luc.task == "long work" and luc.status == "processing"
        assert len(recorded_paths(Workspace(project))["t.w"]) == 2
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert not (project / "work/.luciorbe.t.w").exists() and not (project / ".luciorbe.t.w").exists()
    finally:
        kill_group(proc)


def test_unknown_team_or_daemon_is_one_line_exit_2(project, write):
    write("teams/t.toml", '[daemons.rec]\ntype = "recorder"\n')
    proc = start_runner("t", "nobody", project, plugin_env("sampledaemons"))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and err.count("\n") == 1 and "no daemon 'nobody'" in err


def test_a_cycle_that_asks_for_its_next_run_sooner_gets_it_without_any_trigger(project, write):
    write("teams/t.toml", '[daemons.rec]\ntype = "recorder"\nevery = "1h"\nagain_in = 0.2\nheartbeat = "0.3s"\n')
    proc = start_runner("t", "rec", project, plugin_env("sampledaemons"))
    try:
        wait_for(lambda: len([r for r in records(project) if "cycle" in r]) >= 3, what="cycles every 0.2s, not 1h")
    finally:
        kill_group(proc)


def test_without_inotify_an_idle_daemon_polls_cheaply_and_still_gets_its_messages(project, write):
    """Every inotify instance of the user taken (fs.inotify.max_user_instances): the runner falls back to polling,
    which must not turn into a cycle per poll."""
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    held = []
    while True:  # take every instance the user may have
        fd = libc.inotify_init1(0o2000000)
        if fd < 0:
            break
        held.append(fd)
        assert len(held) < 100000
    try:
        write("teams/t.toml", TEAM.format(every="1h").replace('watch = ["src/**/*.py"]\n', ""))
        proc = start_runner("t", "rec", project, plugin_env("sampledaemons"))
        try:
            wait_for(lambda: any("cycle" in r for r in records(project)), what="the first cycle")
            time.sleep(3)  # idle: a poll that cycled would have run dozens of cycles by now
            assert len([r for r in records(project) if "cycle" in r]) == 1
            log = (project / ".kin/logs/t.rec.log").read_text()
            assert "no inotify watch available" in log and "polling" in log
            Mailbox.send(Workspace(project), "t.rec", {"hello": "poller"}, sender="test")
            wait_for(lambda: any(i["type"] == "message" for r in records(project) for i in r.get("injections", [])),
                     what="the message, seen by polling")
        finally:
            kill_group(proc)
    finally:
        for fd in held:
            os.close(fd)


def test_a_bell_heard_for_a_message_taken_already_runs_no_cycle(runner, project):
    """The live lane's bell may ring for a line the runner has read already: waking for it runs no empty cycle."""
    from shadeos_core import mailspool

    runner()
    box = Mailbox(Workspace(project), "t.rec")
    bell = os.open(os.path.join(mailspool.lane_dir(os.fspath(box.root)), mailspool.BELL), os.O_WRONLY | os.O_NONBLOCK)
    try:
        for _ in range(5):
            os.write(bell, b"\0")
            time.sleep(0.05)
    finally:
        os.close(bell)
    time.sleep(0.5)
    assert len([r for r in records(project) if "cycle" in r]) == 1  # the first cycle only
    Mailbox.send(Workspace(project), "t.rec", {"hello": 2}, sender="test")
    wait_for(lambda: len([r for r in records(project) if "cycle" in r]) == 2, what="the message's cycle")
    assert records(project)[-1]["injections"][0]["content"] == {"hello": 2}


def test_an_idle_runner_collects_its_garbage_outside_its_cycles(project, write):
    """Python's collector runs after so many allocations, wherever they happen: on a message's way as often as not.
    A runner collects what its cycles left once it has nothing to do, so none of its collections falls in a
    cycle (each leaves less than the collector's threshold, 700 objects: several cycles would reach it)."""
    write("teams/t.toml", '[daemons.gc]\ntype = "garbage"\non_message = true\nrecord = "gc.jsonl"\nper_cycle = 300\n')
    proc = start_runner("t", "gc", project, plugin_env("sampledaemons"))
    ws = Workspace(project)
    lines = project / "gc.jsonl"

    def seen():
        return [json.loads(line) for line in lines.read_text().splitlines()] if lines.exists() else []

    try:
        wait_for(lambda: any("cycle" in r for r in seen()), 60, what="the first cycle")
        time.sleep(0.1)  # (the first cycle comes before any idle moment, its start-up allocations pending)
        for n in range(40):
            Mailbox.send(ws, "t.gc", n, sender="test")
            time.sleep(0.02)
        wait_for(lambda: len([r for r in seen() if "cycle" in r]) == 41, what="a cycle per message")
        time.sleep(0.3)
        after_start = seen()[[i for i, r in enumerate(seen()) if "cycle" in r][0] + 1:]
        collections = [r for r in after_start if "generation" in r]
        assert len(collections) >= 10  # 40 cycles of 300 objects each: collected, and often
        assert not [r for r in collections if r["in_cycle"]]
    finally:
        kill_group(proc)


def test_messages_behind_a_retry_that_came_alone_are_handled_without_a_new_arrival(runner, project, write):
    """A message that failed a delivery before comes alone; those listed after it are taken by the next cycle,
    not left until something else arrives (a daemon restarted after a poison found its others stuck)."""
    box = Mailbox(Workspace(project), "t.rec")
    stamp = time.time_ns()
    for n, name in enumerate([f"5-{stamp:020d}-1-000001.r2.json", f"5-{stamp + 1:020d}-1-000002.json",
                              f"5-{stamp + 2:020d}-1-000003.json"]):
        (box.new / name).write_text(json.dumps({"body": {"n": n}, "from": "test"}))
    runner()

    def bodies():
        return [i["content"] for r in records(project) for i in r.get("injections", []) if i["type"] == "message"]

    wait_for(lambda: len(bodies()) == 3, what="the three messages handled")
    first = next(r for r in records(project) if r.get("injections"))
    assert [i["content"] for i in first["injections"]] == [{"n": 0}]  # the retry, alone
