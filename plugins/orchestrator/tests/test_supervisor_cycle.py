"""The supervisor driven in this process: a clock moved by hand, processes that exist only on paper.

What only real processes show (signals, process trees, lifelines, the dashboard)
is in the other test files; here each cycle's decisions are checked one by one.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from shadeos_core.execution import CommandSpec
from shadeos_core.kernel import Kernel
from shadeos_core.runspec import read_spec
from shadeos_core.teamstate import state_path
from shadeos_orchestrator.starter import Started
from shadeos_orchestrator.states import BACKOFF, EXITED, FATAL, RUNNING, STARTING, STOPPED, IllegalTransition, State
from shadeos_orchestrator.supervisor import Supervisor

#: Far above any pid the kernel hands out: nothing real is ever touched by these.
FIRST_PID = 9_000_000


class FakeClock:
    """Time moves only when a test moves it, or when the supervisor waits while ``held()`` is false (a process
    that heeds SIGTERM is ending: no time passes meanwhile, whatever the stop threads' pace)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.held: Callable[[], bool] = lambda: False

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_700_000_000.0 + self.now

    def wait(self, event: threading.Event, timeout: float) -> bool:
        if self.held():
            return event.wait(0.005)
        self.now += timeout
        return event.is_set()

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeProcess:
    def __init__(self, owner: str, pid: int, argv: Sequence[str], stubborn: bool) -> None:
        self.owner, self.pid, self.argv, self.stubborn = owner, pid, list(argv), stubborn
        self.code: int | None = None
        self.killed = threading.Event()


class FakeStarter:
    """Records every start, stop and kill; a process runs until the test ends it or it is stopped."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.processes: dict[int, FakeProcess] = {}
        self.stubborn: set[str] = set()  # daemon ids whose processes ignore SIGTERM
        self.opened = False
        self.stops: list[str] = []
        self.terminated: list[str] = []
        self.kills: list[tuple[str, float]] = []  # (daemon id, clock when killed)
        self.ending: set[int] = set()  # pids asked to stop that heed it, until their stop returns
        self._lock = threading.Lock()
        clock.held = lambda: bool(self.ending)

    def open(self, team: str) -> None:
        self.opened = True

    def start(self, command: CommandSpec) -> Started:
        pid = FIRST_PID + len(self.processes)
        owner = command.owner or ""
        self.processes[pid] = FakeProcess(owner, pid, command.argv, owner in self.stubborn)
        return Started(pid, self.clock.time())

    def poll(self, pid: int) -> int | None:
        return self.processes[pid].code

    def stop(self, pid: int, *, timeout: float) -> int | None:
        proc = self.processes[pid]
        self.stops.append(proc.owner)
        try:
            if proc.stubborn and not proc.killed.wait(30.0):
                return None
            if proc.code is None:
                proc.code = -15
            return proc.code
        finally:
            with self._lock:
                self.ending.discard(pid)

    def terminate(self, pids: Sequence[int]) -> None:
        self.terminated += [self.processes[pid].owner for pid in pids]
        with self._lock:
            self.ending |= {pid for pid in pids if not self.processes[pid].stubborn}

    def kill(self, processes: Sequence[tuple[int, float | None]]) -> None:
        for pid, _started in processes:
            proc = self.processes[pid]
            self.kills.append((proc.owner, self.clock.monotonic()))
            proc.code = -9
            proc.killed.set()

    # -- what a test does to its processes --------------------------------------------------
    def started(self, daemon_id: str) -> list[FakeProcess]:
        return [p for p in self.processes.values() if p.owner == daemon_id]

    def exit(self, daemon_id: str, code: int) -> None:
        self.started(daemon_id)[-1].code = code


def _team(project: Path, daemons: dict[str, str], team: str = "") -> None:
    (project / "teams").mkdir(exist_ok=True)
    body = "".join(f'[daemons.{name}]\ntype = "command"\ncommand = ["true"]\nstart_seconds = "1s"\n{extra}\n'
                   for name, extra in daemons.items())
    (project / "teams" / "t.toml").write_text(f'[team]\nname = "t"\n{team}\n{body}')


class Run:
    """A supervisor of team ``t`` with a fake clock and starter, started; stopped at the end of the test."""

    def __init__(self, project: Path) -> None:
        self.kernel = Kernel.load(project)
        self.clock = FakeClock()
        self.starter = FakeStarter(self.clock)
        self.sup = Supervisor(self.kernel.teams().get("t"), self.kernel, clock=self.clock, starter=self.starter)
        self.stopped = False

    def child(self, name: str) -> Any:
        return self.sup.children[f"t.{name}"]

    def cycle(self, after: float = 0.0) -> None:
        self.clock.advance(after)
        self.sup.cycle()

    def stop(self) -> None:
        self.stopped = True
        self.sup.stop()


@pytest.fixture
def make_run(project: Path) -> Iterator[Any]:
    runs: list[Run] = []

    def make(daemons: dict[str, str], team: str = "", stubborn: Sequence[str] = ()) -> Run:
        _team(project, daemons, team)
        run = Run(project)
        run.starter.stubborn = {f"t.{name}" for name in stubborn}
        run.sup.start()
        runs.append(run)
        return run

    try:
        yield make
    finally:
        for run in runs:
            if not run.stopped:
                for proc in run.starter.processes.values():
                    proc.killed.set()
                run.stop()


def test_start_cycle_stop_drives_each_daemon_through_its_states(make_run, project):
    run = make_run({"a": "", "b": ""})
    assert run.starter.opened and all(c.state == STOPPED for c in run.sup.children.values())
    run.cycle()
    assert [c.state for c in run.sup.children.values()] == [STARTING, STARTING]
    assert len(run.starter.processes) == 2
    run.cycle(after=0.5)
    assert run.child("a").state == STARTING  # not up for start_seconds yet
    run.cycle(after=0.5)
    assert run.child("a").state == RUNNING and run.child("b").state == RUNNING
    assert state_path(run.sup.workspace, "t").exists()
    run.stop()
    assert sorted(run.starter.terminated) == ["t.a", "t.b"] and sorted(run.starter.stops) == ["t.a", "t.b"]
    assert run.starter.kills == []  # both stopped on SIGTERM
    assert all(c.state == STOPPED for c in run.sup.children.values())
    assert not state_path(run.sup.workspace, "t").exists()
    assert not list((project / ".kin" / "run" / "specs").glob("*.json"))


def test_states_are_published_as_their_names(make_run):
    run = make_run({"a": ""})
    run.cycle()
    snapshot = run.sup.snapshot()
    assert snapshot["daemons"][0]["state"] == "STARTING" and isinstance(run.child("a").state, State)
    assert json.loads(json.dumps(snapshot))["daemons"][0]["state"] == "STARTING"


def test_an_early_exit_backs_off_longer_each_time(make_run):
    run = make_run({"a": "start_retries = 5"})
    run.cycle()
    run.starter.exit("t.a", 1)
    run.cycle(after=0.1)
    assert run.child("a").state == BACKOFF
    run.cycle(after=0.5)
    assert len(run.starter.started("t.a")) == 1  # the first retry waits 1 s
    run.cycle(after=0.5)
    assert len(run.starter.started("t.a")) == 2 and run.child("a").state == STARTING
    run.starter.exit("t.a", 1)
    run.cycle(after=0.1)
    run.cycle(after=1.5)
    assert len(run.starter.started("t.a")) == 2  # the second waits 2 s
    run.cycle(after=0.5)
    assert len(run.starter.started("t.a")) == 3


def test_fatal_after_start_retries_and_never_started_again(make_run):
    run = make_run({"a": "start_retries = 2"})
    run.cycle()
    for _ in range(3):
        run.starter.exit("t.a", 1)
        run.cycle(after=0.1)
        run.cycle(after=10.0)
    child = run.child("a")
    assert child.state == FATAL and "exited too quickly 3 times" in child.reason
    run.cycle(after=3600.0)
    assert len(run.starter.started("t.a")) == 3 and child.state == FATAL
    run.stop()
    assert child.state == FATAL  # the team's stop leaves it as it was


def test_a_crash_after_running_restarts_at_once_until_it_flaps(make_run):
    run = make_run({"a": 'restart = "always"'}, team="flap_restarts = 2\nflap_window = \"60s\"")
    run.cycle()
    for life in range(1, 4):
        run.cycle(after=1.0)
        assert run.child("a").state == RUNNING
        run.starter.exit("t.a", 0)
        run.cycle(after=1.0)
        if life < 3:
            assert len(run.starter.started("t.a")) == life + 1 and run.child("a").restarts == life
    child = run.child("a")
    assert child.state == FATAL and "flapping" in child.reason
    assert len(run.starter.started("t.a")) == 3


def test_a_clean_exit_is_not_restarted_on_failure_only(make_run):
    run = make_run({"a": ""})
    run.cycle()
    run.cycle(after=1.0)
    run.starter.exit("t.a", 0)
    run.cycle(after=1.0)
    run.cycle(after=60.0)
    assert run.child("a").state == EXITED and len(run.starter.started("t.a")) == 1


def test_a_daemon_deaf_to_sigterm_is_killed_after_its_stop_timeout(make_run):
    run = make_run({"deaf": 'stop_timeout = "2s"', "polite": ""}, stubborn=["deaf"])
    run.cycle()
    run.cycle(after=1.0)
    began = run.clock.monotonic()
    run.stop()
    assert sorted(run.starter.terminated) == ["t.deaf", "t.polite"]
    assert [owner for owner, _ in run.starter.kills] == ["t.deaf"]
    killed_at = run.starter.kills[0][1]
    assert killed_at - began >= 2.0  # never before its stop_timeout (the team waits 5 s more before it kills)
    assert run.child("deaf").state == STOPPED and run.child("polite").state == STOPPED


def test_a_second_interrupt_kills_at_once(make_run):
    run = make_run({"deaf": 'stop_timeout = "30s"'}, stubborn=["deaf"])
    run.cycle()
    run.sup.force = True
    began = run.clock.monotonic()
    run.stop()
    assert [owner for owner, _ in run.starter.kills] == ["t.deaf"] and run.starter.kills[0][1] == began


def test_each_runner_gets_the_spec_resolved_at_start(make_run, project):
    run = make_run({"a": 'description = "first"'})
    _team(project, {"a": 'description = "changed since"'})  # the team file changes under the running team
    run.cycle()
    argv = run.starter.started("t.a")[0].argv
    assert argv[argv.index("--team") + 1] == "t" and argv[argv.index("--daemon") + 1] == "a"
    team, spec = read_spec(argv[argv.index("--spec") + 1])
    assert (team.name, spec.daemon_id, spec.description) == ("t", "t.a", "first")
    assert spec.options == {"command": ["true"]}


def test_illegal_transitions_raise():
    from shadeos_core.team import DaemonSpec, Team, TeamSource
    from shadeos_orchestrator.states import Child, Policy

    spec = DaemonSpec(name="d", type="x", team="t")
    child = Child(spec, Policy.of(spec, Team(name="t", source=TeamSource(path=Path("t.toml")))))
    with pytest.raises(IllegalTransition, match="stopped from STOPPED"):
        child.stopped(0, 0.0)
    with pytest.raises(IllegalTransition):
        child.exited(1, 0.0)
    with pytest.raises(IllegalTransition):
        child.stopping(restart=False, reason="")
    child.spawned(10, 1.0, now=0.0, wall=0.0)
    with pytest.raises(IllegalTransition, match="spawned from STARTING"):
        child.spawned(11, 1.0, now=0.0, wall=0.0)
    with pytest.raises(IllegalTransition):
        child.halted()
    assert child.state == STARTING and child.pid == 10  # a refused transition changes nothing



# -- requests from people: kin daemon stop|start|restart, the web dashboard -----------------------

def _settle(run: Run, rounds: int = 200) -> None:
    """Cycle until no daemon is stopping (the stop threads report back between cycles)."""
    import time

    for _ in range(rounds):
        run.cycle(after=0.01)
        if not any(c.state == "STOPPING" for c in run.sup.children.values()):
            return
        time.sleep(0.005)
    raise AssertionError("a daemon is still stopping")


def _ask(run: Run, action: str, daemon: str, by: str = "ada") -> None:
    from shadeos_core.control import request_control

    request_control(run.sup.workspace, "t", daemon, action, by=by)


def test_a_daemon_stopped_on_request_stays_down_until_started(make_run):
    run = make_run({"a": 'restart = "always"', "b": ""})
    run.cycle()
    run.cycle(after=1.0)
    assert run.child("a").state == RUNNING
    _ask(run, "stop", "a")
    _settle(run)
    assert run.child("a").state == STOPPED and run.starter.stops == ["t.a"]
    for _ in range(5):  # neither its restart policy nor time starts it again
        run.cycle(after=10.0)
    assert len(run.starter.started("t.a")) == 1 and run.child("a").state == STOPPED
    assert run.sup.snapshot()["daemons"][0]["held"] is True
    assert run.child("b").state == RUNNING  # the team goes on
    _ask(run, "start", "a")
    run.cycle()
    assert len(run.starter.started("t.a")) == 2 and run.child("a").state == STARTING
    assert run.sup.snapshot()["daemons"][0]["held"] is False


def test_a_restart_on_request_is_graceful_and_never_counts_as_flapping(make_run):
    run = make_run({"a": ""}, team="flap_restarts = 2")
    run.cycle()
    run.cycle(after=1.0)
    for n in range(1, 5):  # more restarts than flapping allows: asked for, so never FATAL
        _ask(run, "restart", "a")
        _settle(run)
        run.cycle(after=1.0)
        assert run.child("a").state in (STARTING, RUNNING) and run.child("a").restarts == n
    assert len(run.starter.started("t.a")) == 5 and run.starter.kills == []  # each stop heeded SIGTERM


def test_start_on_request_gives_a_fatal_daemon_a_fresh_start(make_run):
    run = make_run({"a": "start_retries = 1"})
    run.cycle()
    for _ in range(2):
        run.starter.exit("t.a", 1)
        run.cycle(after=0.1)
        run.cycle(after=5.0)
    assert run.child("a").state == FATAL
    _ask(run, "start", "a")
    run.cycle()
    assert run.child("a").state == STARTING and run.child("a").failures == 0
    run.cycle(after=1.0)
    assert run.child("a").state == RUNNING


def test_requests_that_are_not_requests_are_reported_and_ignored(make_run, project):
    run = make_run({"a": ""})
    run.cycle()
    directory = project / ".kin" / "run" / "control" / "t"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "00000000000000000001-1.json").write_text('{"action": "explode", "daemon": "a"}')
    (directory / "00000000000000000002-1.json").write_bytes(b"\x00\xff not json")
    (directory / "00000000000000000003-1.json").write_text('{"action": "stop", "daemon": "../../etc"}')
    _ask(run, "stop", "ghost")
    run.cycle(after=0.2)
    events = " | ".join(run.sup.snapshot()["events"])
    assert events.count("ignored a control request that is not one") == 3
    assert "stop ghost: no such daemon in team t (asked by ada)" in events
    assert not list(directory.iterdir())  # every file taken, none acted on
    assert run.child("a").state in (STARTING, RUNNING) and run.starter.stops == []
