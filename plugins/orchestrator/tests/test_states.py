"""The state machine on its own, driven by a hand-moved clock (the real-process tests cover the rest)."""
from __future__ import annotations

from shadeos_core.team import DaemonSpec, Team, TeamSource
from shadeos_orchestrator.states import BACKOFF, EXITED, FATAL, RUNNING, STARTING, STOPPED, Child, Policy


def _child(restart: str = "on-failure", retries: int = 2, **settings) -> Child:
    spec = DaemonSpec(name="d", type="x", team="t", restart=restart, start_seconds=1.0, start_retries=retries)
    team = Team(name="t", source=TeamSource(path=__import__("pathlib").Path("t.toml")), settings=settings)
    return Child(spec, Policy.of(spec, team))


def test_a_start_counts_only_after_start_seconds():
    c = _child()
    c.spawned(10, 1.0, now=0.0, wall=0.0)
    assert c.tick(0.5) == [] and c.state == STARTING
    assert c.tick(1.0)[0][0] == "started" and c.state == RUNNING


def test_failed_starts_back_off_longer_each_time_then_fatal():
    c = _child(retries=2)
    delays = []
    now = 0.0
    for _ in range(2):
        c.spawned(10, 1.0, now=now, wall=now)
        c.exited(1, now + 0.1)
        assert c.state == BACKOFF
        delays.append(c.next_start - (now + 0.1))
        now = c.next_start
    assert delays[1] > delays[0] > 0
    c.spawned(10, 1.0, now=now, wall=now)
    kinds = [k for k, _ in c.exited(1, now + 0.1)]
    assert kinds == ["fatal"] and c.state == FATAL and not c.start_due(now + 100)


def test_restart_policies():
    for restart, code, restarted in (("on-failure", 1, True), ("on-failure", 0, False), ("always", 0, True),
                                     ("never", 1, False)):
        c = _child(restart)
        c.spawned(10, 1.0, now=0.0, wall=0.0)
        c.tick(2.0)
        c.exited(code, 3.0)
        assert c.state == EXITED
        assert c.start_due(3.0) is restarted, (restart, code)
        assert c.restarts == (1 if restarted else 0)


def test_flapping_ends_fatal_and_old_restarts_leave_the_window():
    c = _child(flap_restarts=2, flap_window=10.0)
    now = 0.0
    for _ in range(2):
        c.spawned(10, 1.0, now=now, wall=now)
        c.tick(now + 1)
        c.exited(1, now + 2)
        now += 20.0  # outside the window: these never add up
    assert c.state == EXITED and c.restarts == 2
    for _ in range(2):
        c.spawned(10, 1.0, now=now, wall=now)
        c.tick(now + 1)
        c.exited(1, now + 2)
        now += 3
    c.spawned(10, 1.0, now=now, wall=now)
    c.tick(now + 1)
    assert [k for k, _ in c.exited(1, now + 2)][-1] == "fatal" and c.state == FATAL


def test_team_stop_timeout_caps_the_daemons_and_late_limit_is_never_below_late():
    spec = DaemonSpec(name="d", type="x", team="t", stop_timeout=30.0, heartbeat=10.0)
    team = Team(name="t", source=TeamSource(path=__import__("pathlib").Path("t.toml")),
                settings={"stop_timeout": 5.0, "late_limit": 1.0})
    policy = Policy.of(spec, team)
    assert policy.stop_timeout == 5.0 and policy.late_after == 30.0 and policy.late_limit == 30.0


def test_a_phase_switches_a_stopped_daemon_back_on():
    c = _child()
    c.set_wanted(False)
    c.next_start = None
    assert not c.start_due(0.0)
    c.set_wanted(True)
    assert c.state == STOPPED and c.start_due(0.0)
