"""supervisord's process state machine, per daemon, without any I/O (the supervisor does the I/O).

STOPPED -> STARTING -> RUNNING (after ``start_seconds``) -> EXITED -> STARTING …
STARTING -> BACKOFF (exited too early) -> STARTING … -> FATAL (after ``start_retries``)
RUNNING -> STOPPING -> STOPPED; an unbounded crash loop after RUNNING -> FATAL (flapping).

Every transition checks the state it leaves: a transition from any other state
is a fault of the caller and raises :class:`IllegalTransition`.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shadeos_core.team import DaemonSpec, Team

__all__ = ["State", "STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "STATES", "UP",
           "ALIVE", "STARTABLE", "ENDED", "IllegalTransition", "Policy", "Child"]


class State(StrEnum):
    """A daemon's supervision state; its value is its name, as published in the team's state file."""

    STOPPED = "STOPPED"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    BACKOFF = "BACKOFF"
    STOPPING = "STOPPING"
    EXITED = "EXITED"
    FATAL = "FATAL"


STOPPED, STARTING, RUNNING, BACKOFF = State.STOPPED, State.STARTING, State.RUNNING, State.BACKOFF
STOPPING, EXITED, FATAL = State.STOPPING, State.EXITED, State.FATAL
STATES = tuple(State)
#: Started and not asked to stop: a process to poll, and to stop when asked.
UP = frozenset({STARTING, RUNNING})
#: A process exists (it may be stopping).
ALIVE = frozenset({STARTING, RUNNING, STOPPING})
#: No process, and not given up on: may be started when due.
STARTABLE = frozenset({STOPPED, EXITED, BACKOFF})
#: The states of a daemon whose process ended on its own (not stopped by us): a crash shows why.
ENDED = frozenset({BACKOFF, EXITED, FATAL})


class IllegalTransition(RuntimeError):
    """A transition asked of a daemon in a state it cannot leave that way."""

#: Defaults of the ``[team]`` supervision settings (seconds).
DEFAULT_CYCLE = 1.0
DEFAULT_LATE_LIMIT = 60.0
DEFAULT_FLAP_RESTARTS = 5
DEFAULT_FLAP_WINDOW = 60.0


@dataclass(frozen=True)
class Policy:
    """The supervision settings of one daemon, from its spec and the team's ``[team]`` table."""

    restart: str = "on-failure"
    start_seconds: float = 1.0
    start_retries: int = 3
    stop_timeout: float = 10.0
    late_after: float = 15.0
    late_limit: float = DEFAULT_LATE_LIMIT
    flap_restarts: int = DEFAULT_FLAP_RESTARTS
    flap_window: float = DEFAULT_FLAP_WINDOW

    @classmethod
    def of(cls, spec: DaemonSpec, team: Team) -> Policy:
        s = team.settings
        stop = spec.stop_timeout if "stop_timeout" not in s else min(spec.stop_timeout, float(s["stop_timeout"]))
        late_after = spec.stale_after if spec.stale_after is not None else 3 * spec.heartbeat
        return cls(restart=spec.restart, start_seconds=spec.start_seconds, start_retries=spec.start_retries,
                   stop_timeout=stop, late_after=late_after,
                   late_limit=max(float(s.get("late_limit", DEFAULT_LATE_LIMIT)), late_after),
                   flap_restarts=int(s.get("flap_restarts", DEFAULT_FLAP_RESTARTS)),
                   flap_window=float(s.get("flap_window", DEFAULT_FLAP_WINDOW)))

    def backoff(self, failures: int) -> float:
        """Delay before retry number ``failures``: grows linearly like supervisord's (1 s, 2 s, 3 s… by default)."""
        return failures * max(0.05, min(1.0, self.start_seconds))


Event = tuple[str, dict[str, Any]]


@dataclass
class Child:
    """One supervised daemon. Methods take the monotonic ``now`` and return the events they caused."""

    spec: DaemonSpec
    policy: Policy
    state: State = STOPPED
    pid: int | None = None
    pid_started: float | None = None
    started_wall: float | None = None
    started_mono: float | None = None
    failures: int = 0  # failed starts in a row (STARTING -> exit)
    restarts: int = 0
    exit_code: int | None = None
    reason: str = ""
    wanted: bool = True  # active in the current phase
    held: bool = False  # stopped by a person (kin daemon stop): not started again until they start it
    next_start: float | None = 0.0  # when a start is due (monotonic); None: not to be started
    restart_after_stop: bool = False
    restart_requested: bool = False  # a person asked for a restart: started again at once, not counted as flapping
    late: bool = False
    recent_restarts: deque[float] = field(default_factory=deque)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def daemon_id(self) -> str:
        return self.spec.daemon_id

    @property
    def alive(self) -> bool:
        return self.state in ALIVE

    def start_due(self, now: float) -> bool:
        return (self.wanted and not self.held and self.state in STARTABLE
                and self.next_start is not None and now >= self.next_start)

    def _assert_in_state(self, allowed: Collection[State], transition: str) -> None:
        if self.state not in allowed:
            raise IllegalTransition(f"{self.daemon_id}: {transition} from {self.state} "
                                    f"(allowed from {', '.join(s for s in STATES if s in allowed)})")

    # -- transitions ---------------------------------------------------------------------
    def spawned(self, pid: int, pid_started: float | None, now: float, wall: float) -> list[Event]:
        self._assert_in_state(STARTABLE, "spawned")
        self.state, self.pid, self.pid_started = STARTING, pid, pid_started
        self.started_mono, self.started_wall, self.exit_code, self.late = now, wall, None, False
        return [("state", {"state": STARTING, "pid": pid})]

    def spawn_failed(self, error: str, now: float) -> list[Event]:
        self._assert_in_state(STARTABLE, "spawn_failed")
        self.state = STARTING
        return self.exited(None, now, error=error)

    def tick(self, now: float) -> list[Event]:
        """STARTING becomes RUNNING once it has lived ``start_seconds``."""
        self._assert_in_state(UP, "tick")
        if (self.state == STARTING and self.started_mono is not None
                and now - self.started_mono >= self.policy.start_seconds):
            self.state, self.failures = RUNNING, 0
            return [("started", {"state": RUNNING, "pid": self.pid})]
        return []

    def exited(self, code: int | None, now: float, *, error: str = "") -> list[Event]:
        """The process ended on its own (or could not start)."""
        self._assert_in_state(UP, "exited")
        pid, self.pid, self.pid_started, self.exit_code = self.pid, None, None, code
        self.late = False
        if self.state == STARTING:
            self.failures += 1
            if self.failures > self.policy.start_retries:
                self.state, self.next_start = FATAL, None
                self.reason = f"exited too quickly {self.failures} times in a row" + (f" ({error})" if error else "")
                return [("fatal", {"state": FATAL, "pid": pid, "code": code, "reason": self.reason})]
            self.state = BACKOFF
            self.next_start = now + self.policy.backoff(self.failures)
            self.reason = error or f"exited with {code} before {self.policy.start_seconds:g}s"
            return [("crashed", {"state": BACKOFF, "pid": pid, "code": code, "retry": self.failures,
                                 "reason": self.reason})]
        failed = code != 0
        self.state = EXITED
        self.reason = f"exited with {code}"
        events: list[Event] = [("crashed" if failed else "stopped", {"state": EXITED, "pid": pid, "code": code})]
        if self.policy.restart == "always" or (self.policy.restart == "on-failure" and failed):
            events += self._restart(now, "exited")
        else:
            self.next_start = None
        return events

    def _restart(self, now: float, why: str) -> list[Event]:
        window = self.policy.flap_window
        while self.recent_restarts and now - self.recent_restarts[0] > window:
            self.recent_restarts.popleft()
        if len(self.recent_restarts) >= self.policy.flap_restarts:
            self.state, self.next_start = FATAL, None
            self.reason = f"restarted {len(self.recent_restarts)} times within {window:g}s (flapping)"
            return [("fatal", {"state": FATAL, "reason": self.reason})]
        self.recent_restarts.append(now)
        self.restarts += 1
        self.next_start = now
        return [("restarted", {"restarts": self.restarts, "why": why})]

    def stopping(self, *, restart: bool, reason: str) -> list[Event]:
        self._assert_in_state(UP, "stopping")
        self.state, self.restart_after_stop, self.reason = STOPPING, restart, reason
        return [("state", {"state": STOPPING, "pid": self.pid, "reason": reason})]

    def stopped(self, code: int | None, now: float) -> list[Event]:
        self._assert_in_state((STOPPING,), "stopped")
        pid, self.pid, self.pid_started, self.exit_code, self.late = self.pid, None, None, code, False
        self.state = STOPPED
        events: list[Event] = [("stopped", {"state": STOPPED, "pid": pid, "code": code, "reason": self.reason})]
        if self.restart_after_stop and self.wanted:
            self.restart_after_stop = False
            events += self._restart(now, self.reason)
        elif self.restart_requested and self.wanted and not self.held:
            self.restart_requested, self.next_start = False, now
            self.restarts += 1
            events.append(("restarted", {"restarts": self.restarts, "why": self.reason}))
        else:
            self.next_start = 0.0 if self.wanted and not self.held else None
        return events

    def halted(self) -> None:
        """The team stopped: a daemon not FATAL is STOPPED, and none is started again."""
        self._assert_in_state(STARTABLE | {FATAL}, "halted")
        if self.state != FATAL:
            self.state = STOPPED
        self.wanted, self.next_start = False, None

    def hold(self) -> None:
        """A person stopped this daemon: whatever its phase and restart policy, it stays down until resumed."""
        self.held, self.next_start, self.restart_after_stop, self.restart_requested = True, None, False, False

    def resume(self) -> list[Event]:
        """A person started this daemon: no longer held; a FATAL daemon gets a fresh start (failed starts and
        recent restarts forgotten). It starts at once when its phase wants it."""
        self.held = False
        events: list[Event] = []
        if self.state == FATAL:
            self.state, self.reason = STOPPED, "started again"
            events.append(("state", {"state": STOPPED, "reason": self.reason}))
        if self.state in STARTABLE:
            self.failures, self.next_start = 0, 0.0
            self.recent_restarts.clear()
        return events

    def set_wanted(self, wanted: bool) -> None:
        """The phase decides whether this daemon runs; a FATAL daemon stays FATAL."""
        self.wanted = wanted
        if wanted and self.state in (STOPPED, EXITED) and self.next_start is None:
            self.next_start, self.failures = 0.0, 0
