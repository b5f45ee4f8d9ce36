"""The orchestrator: runs a team's daemons as child processes and supervises them until stopped.

Each cycle (``[team] cycle``, default 1 s) it polls the children, drives their
state machines, reads their luciorbes (delays, conflicts), hands out tasks,
follows the phase, and publishes the team's state for ``kin status``.
Children are started from the main thread, so ``PR_SET_PDEATHSIG`` ties them
to this process for its whole life.

The supervisor reads the time only from its :class:`~.clock.Clock` and acts on
processes only through its :class:`~.starter.ProcessStarter`; :meth:`Supervisor.run`
is :meth:`~Supervisor.start`, :meth:`~Supervisor.cycle` at the team's pace, and
:meth:`~Supervisor.stop`, which a caller can also drive one by one.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadeos_core.diskfaults import disk_fault, recovered
from shadeos_core.errors import ConfigError, KinError
from shadeos_core.events import DaemonEvent
from shadeos_core.execution import PLACED_ENV, CommandSpec, read_place
from shadeos_core.logcap import LogLimits, rotate_if_over
from shadeos_core.luciorbe import iso_now
from shadeos_core.luciorbe_guard import clean_record
from shadeos_core.luciorbe_record import read_record, record_path
from shadeos_core.mailbox import Mailbox
from shadeos_core.runner import runner_argv, set_from_signal_handler
from shadeos_core.runspec import UnserialisableSpec, remove_specs, write_spec
from shadeos_core.tasks import TaskRetries
from shadeos_core.teamstate import read_team_state, remove_team_state, running_processes, state_path, write_team_state

from .clock import Clock, SystemClock
from .config import OrchestratorSettings, StartPace
from .conflicts import ConflictTracker
from .observe import MODEL_FIELDS, LuciorbeReader, Resources, Seen
from .orphans import DAEMON_ENV, Orphans
from .phase import PhaseReader
from .requests import RequestDesk
from .starter import LOCAL, NO_BACKGROUND, ModeStarter, ProcessStarter, daemon_mode
from .states import DEFAULT_CYCLE, ENDED, RUNNING, STOPPING, UP, Child, Policy
from .taskflow import TaskFlow
from .teamlock import TeamLock
from .treekill import kill_trees

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel
    from shadeos_core.team import Team

    from .display import Display

__all__ = ["Supervisor", "NO_BACKGROUND"]

log = logging.getLogger("kin.orchestrator")

#: Seconds between two writes of the state file when nothing but ages, cpu and memory changed.
REFRESH_S = 1.0
#: The state file is written at most this often, however many things change (a large team starting).
MIN_PUBLISH_S = 0.2
#: Threads that stop children at once (each waits for its child; more children wait their turn).
STOP_THREADS = 32
#: Seconds between two looks at the children's output files (one stat each).
LOG_CHECK_S = 2.0
#: Seconds before a start that failed on a disk fault is tried again.
DISK_RETRY_S = 3.0
#: Seconds between two looks for orphans given back to the orchestrator (one listing of its children).
ORPHAN_LOOK_S = 1.0


class Supervisor:
    """Supervise ``team``; :meth:`run` returns the exit code (0 after a requested stop).

    ``clock`` and ``starter`` default to the machine's clock and the ``background`` execution mode.
    """

    def __init__(self, team: Team, kernel: Kernel, display: Display | None = None, *, clock: Clock | None = None,
                 starter: ProcessStarter | None = None) -> None:
        self.team = team
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.starter: ProcessStarter = starter if starter is not None else ModeStarter(kernel)
        self.kernel = kernel
        self.workspace = kernel.workspace
        self.cycle_s = float(team.settings.get("cycle", DEFAULT_CYCLE))
        self.settings = OrchestratorSettings.from_workspace(self.workspace)
        members = team.members()
        if len(members) > self.settings.max_daemons:
            raise ConfigError(f"team {team.name!r} has {len(members)} daemons, more than [orchestrator] max_daemons "
                              f"= {self.settings.max_daemons}", where=str(self.workspace.config_path),
                              hint="raise max_daemons in kin.toml if the machine can hold them, or split the team")
        self.children: dict[str, Child] = {s.daemon_id: Child(s, Policy.of(s, team)) for s in members}
        # how each daemon is started: background, or a mode that places it elsewhere (a Ray cluster)
        self.modes: dict[str, str] = {s.daemon_id: daemon_mode(s, kernel) for s in members}
        self.starts = StartPace(self.settings.start_rate)
        self.log_limits = LogLimits.from_workspace(self.workspace)
        self.orphans = Orphans()
        self._next_orphan_look = 0.0
        self._next_log_check = 0.0
        self._rotated: dict[str, float] = {}
        self._flooding: set[str] = set()
        self.sender = f"{team.name}.orchestrator"
        self.lock = TeamLock(self.workspace, team.name)
        self.reader = LuciorbeReader(self.workspace, self.children)
        self.conflicts = ConflictTracker(self.workspace.root)
        self.phases = PhaseReader(self.workspace)
        self.desk = RequestDesk(self.workspace, self.team.name)
        self.resources = Resources()
        self.taskflow = TaskFlow(self.workspace, self.sender, self._accepts_tasks,
                                 TaskRetries.from_workspace(self.workspace))
        self.events: deque[str] = deque(maxlen=30)
        self.display = display
        self.phase: str | None = None
        self._faults: set[tuple[str, str]] = set()
        self.interrupts = 0
        self.stop_requested = False
        self.force = False
        self.wake = threading.Event()
        self.stoppers: dict[str, Future[int | None]] = {}
        self.pool: ThreadPoolExecutor | None = None
        self.seen: dict[str, list[Seen]] = {}
        self._err_from: dict[str, int] = {}  # daemon id -> size of its .err when its last life began
        self._last_errors: dict[str, tuple[float | None, str | None]] = {}  # daemon id -> (its start, the line)
        self.started_at = iso_now(self.clock.time())
        self._last_publish = 0.0
        self._dirty = True
        self._argv_cwd = os.getcwd()

    # -- the whole life ------------------------------------------------------------------
    def run(self) -> int:
        """:meth:`start`, a :meth:`cycle` every ``[team] cycle`` until a stop is asked, then :meth:`stop`;
        from the main thread (it handles SIGINT and SIGTERM meanwhile)."""
        previous = self._install_signals()
        try:
            self.start()
            try:
                while not self.stop_requested:
                    began = self.clock.monotonic()
                    self.cycle()
                    self.clock.wait(self.wake, max(0.0, self.cycle_s - (self.clock.monotonic() - began)))
                    self.wake.clear()
            finally:
                self.stop()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return 0

    def start(self) -> None:
        """Take the team's lock and stop what a previous run left; no daemon starts before the first cycle.

        A :class:`KinError` when the team cannot run (no way to start processes, already running here).
        """
        self.starter.open(self.team.name)
        self.lock.acquire()
        try:
            self._clean_leftovers()
            if self.display is not None:
                self.display.open(self)
            self._event(None, "state", {"state": "starting", "pid": os.getpid()},
                        f"team {self.team.name} starting (pid {os.getpid()}, {len(self.children)} daemons)")
        except BaseException:
            self._close()
            raise

    def stop(self) -> None:
        """Stop every daemon (see :meth:`shutdown`), then remove the team's state and release its lock."""
        try:
            self.shutdown()
        finally:
            self._close()

    def _close(self) -> None:
        try:
            if self.display is not None:
                self.display.close()
            remove_team_state(self.workspace, self.team.name)
            remove_specs(self.workspace, self.team)
        finally:
            self.lock.release()
            self.kernel.flush_events(2.0)

    def _install_signals(self) -> dict[signal.Signals, Any]:
        previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, self._on_signal)
        return previous

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.interrupts += 1
        if self.interrupts == 1:
            self.stop_requested = True
        else:
            self.force = True  # a second Ctrl+C: no more waiting
        set_from_signal_handler(self.wake)  # never Event.set here: this thread may hold its lock

    # -- one cycle -----------------------------------------------------------------------
    def cycle(self) -> None:
        """One orchestration pass; cheap enough to run many times a second.

        Each stage is guarded: a fault in one (a bug, or input that nothing
        foresaw) is reported once and the others still run, so the daemons stay
        supervised whatever one stage meets.
        """
        now, wall = self.clock.monotonic(), self.clock.time()
        self._guarded("phases", self._follow_phase)
        self._guarded("requests", self._follow_requests)
        for child in self.children.values():
            self._guarded("supervision", self._step, child, now, wall)
        self._guarded("luciorbes", self._observe, now, wall)
        self._guarded("resources", self.resources.update, [c.pid for c in self.children.values() if c.pid is not None],
                      now)
        self._guarded("logs", self._cap_logs, now)
        self._guarded("orphans", self._look_for_orphans, now)
        self._guarded("tasks", self._hand_out_tasks)
        # Publish what a reader would see change at once; ages, cpu and memory drift: refresh them once a second.
        if self._dirty or wall - self._last_publish >= max(REFRESH_S, self.cycle_s):
            self._guarded("state", self.publish, wall)
        if self.display is not None:
            self._guarded("display", self.display.refresh, self)

    def _guarded(self, stage: str, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - supervision outlives any one stage's fault
            key = (stage, type(exc).__name__)
            if key in self._faults:
                log.debug("%s stage failed again", stage, exc_info=True)
                return
            self._faults.add(key)
            log.debug("%s stage failed", stage, exc_info=True)
            text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            self._event(None, "fault", {"stage": stage, "error": f"{type(exc).__name__}: {text}"},
                        f"internal error in the {stage} stage: {type(exc).__name__}: {text} (supervision goes on; "
                        "kin --debug shows the traceback)")

    def _hand_out_tasks(self) -> None:
        held = {d: t.id for d, t in self.taskflow.held.items()}
        try:
            steps = self.taskflow.step(self.children)
        except OSError as exc:
            if not disk_fault(exc, exc.filename or self.workspace.kin_dir / "tasks", on_report=self._disk_report):
                raise
            steps = []  # tasks are handed out again once the disk can be written
        for daemon_id, kind, data in steps:
            reason = f" ({data['reason']})" if data.get("reason") else ""
            self._event(self.children[daemon_id] if daemon_id else None, kind, data,
                        f"task {data['event']}: {data['text']!r}{reason}")
        if held != {d: t.id for d, t in self.taskflow.held.items()}:
            self._dirty = True  # a task was completed or taken: no event, but the state shows it

    def _step(self, child: Child, now: float, wall: float) -> None:
        if child.state == STOPPING:
            future = self.stoppers.get(child.daemon_id)
            if future is not None and future.done():
                del self.stoppers[child.daemon_id]
                try:
                    code = future.result()
                except Exception:
                    code = None
                pid = child.pid
                self._apply(child, child.stopped(code, now))
                self._clean_luciorbes(child.daemon_id, pid)
        elif child.state in UP and child.pid is not None:
            try:
                code = self.starter.poll(child.pid)
            except Exception as exc:  # the mode lost track of it: treat as gone
                code, child.reason = -1, f"poll failed: {exc}"
            if code is not None:
                pid = child.pid
                self._apply(child, child.exited(code, now))
                self._clean_luciorbes(child.daemon_id, pid)
            else:
                self._apply(child, child.tick(now))
        if child.start_due(now) and not self.stop_requested and self.starts.take(now):
            self._start(child, now, wall)

    def _start(self, child: Child, now: float, wall: float) -> None:
        err_from = _size(self._err_path(child))
        mode = self.modes[child.daemon_id]
        try:
            command = self._command(child)
            if mode == LOCAL:
                started = self.starter.start(command)
            else:  # only a starter that can start through other modes is asked to (see ProcessStarter.start)
                started = self.starter.start(command, mode=mode)  # type: ignore[call-arg]
        except OSError as exc:
            if not disk_fault(exc, exc.filename or self.workspace.kin_dir, on_report=self._disk_report):
                self._apply(child, child.spawn_failed(f"{type(exc).__name__}: {exc}", now))
                return
            child.next_start = now + DISK_RETRY_S  # not the daemon's failure: no start retry spent on it
            return
        except Exception as exc:
            self._apply(child, child.spawn_failed(f"{type(exc).__name__}: {exc}", now))
            return
        self._err_from[child.daemon_id] = err_from
        self._apply(child, child.spawned(started.pid, started.pid_started, now, wall))
        self.publish(wall)  # record the pid soon: a next orchestrator must find it if this one dies now

    def _command(self, child: Child) -> CommandSpec:
        """The runner of ``child``, given the spec resolved when this team started (not the team files of now)."""
        try:
            spec_file: Path | None = write_spec(self.workspace, self.team, child.spec)
        except UnserialisableSpec:
            spec_file = None  # values JSON cannot hold: the runner reads the team files itself
        mode = self.modes[child.daemon_id]
        env = {"KIN_PARENT_PID": str(os.getpid()), DAEMON_ENV: child.daemon_id}
        resources = None
        if mode != LOCAL:
            env[PLACED_ENV] = mode  # the daemon knows it already runs where the mode placed it
            wanted = child.spec.options.get("resources")
            resources = wanted if isinstance(wanted, dict) else None
        return CommandSpec(argv=runner_argv(self.team.name, child.name, cwd=self._argv_cwd, spec=spec_file),
                           cwd=str(self.workspace.root), env=env, name=child.daemon_id, owner=child.daemon_id,
                           resources=resources)

    def begin_stop(self, child: Child, *, restart: bool, reason: str) -> None:
        """Stop ``child``'s whole tree in the background (graceful, then forced after its stop_timeout)."""
        if child.pid is None or child.state not in UP:
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=min(STOP_THREADS, max(4, len(self.children))),
                                           thread_name_prefix="kin-stop")
        self._apply(child, child.stopping(restart=restart, reason=reason))
        self.stoppers[child.daemon_id] = self.pool.submit(self.starter.stop, child.pid,
                                                          timeout=child.policy.stop_timeout)

    def _follow_requests(self) -> None:
        """Stop, start or restart the daemons people asked for (``kin daemon …``, the web dashboard)."""
        requests, rejected = self.desk.take()
        for line in rejected:
            self._event(None, "control", {"error": line}, f"ignored a control request that is not one: {line}")
        by_name = {c.name: c for c in self.children.values()}
        for request in requests:
            child = by_name.get(request.daemon) or self.children.get(request.daemon)
            who = f" (asked by {request.by})" if request.by else ""
            if child is None:
                self._event(None, "control", {"action": request.action, "daemon": request.daemon, "by": request.by,
                                              "error": "no such daemon"},
                            f"{request.action} {request.daemon}: no such daemon in team {self.team.name}{who}")
                continue
            self._event(child, "control", {"action": request.action, "by": request.by}, f"{request.action} requested{who}")
            if request.action == "stop":
                child.hold()
                self.begin_stop(child, restart=False, reason=f"stopped by request{who}")
            elif request.action == "restart" and child.state in UP:
                child.held, child.restart_requested = False, True  # stopped() starts it again at once
                self.begin_stop(child, restart=False, reason=f"restarted by request{who}")
            else:  # start, or a restart of a daemon that is not running: start it
                self._apply(child, child.resume())
            self._dirty = True

    # -- phases, delays, conflicts -------------------------------------------------------
    def _follow_phase(self) -> None:
        phase = self.phases.read()
        if phase == self.phase and self._phase_applied:
            return
        first = not self._phase_applied
        self._phase_applied = True
        old, self.phase = self.phase, phase
        active = {s.daemon_id for s in self.team.active_in(phase)}
        started, stopped = [], []
        for child in self.children.values():
            wanted = child.daemon_id in active
            if wanted == child.wanted and not first:
                continue
            child.set_wanted(wanted)
            if not wanted:
                child.next_start = None
                if child.alive:
                    stopped.append(child.name)
                    self.begin_stop(child, restart=False, reason=f"not active in phase {phase}")
            elif not first:
                started.append(child.name)
        if not first or phase is not None:
            self._event(None, "phase", {"phase": phase, "previous": old, "starting": started, "stopping": stopped},
                        f"phase {old or '-'} -> {phase or '-'}"
                        + (f"; starting {', '.join(started)}" if started else "")
                        + (f"; stopping {', '.join(stopped)}" if stopped else ""))

    _phase_applied = False

    def _observe(self, now: float, wall: float) -> None:
        self.reader.refresh()
        for daemon_id, child in self.children.items():
            mine = [s for s in self.reader.read(daemon_id) if child.pid is not None and s.luciorbe.pid == child.pid]
            self.seen[daemon_id] = mine
            if child.state != RUNNING or not mine:
                continue
            age = wall - max(s.updated for s in mine)
            if age > child.policy.late_after and not child.late:
                child.late = True
                self._event(child, "late", {"age": age}, f"late: no heartbeat for {age:.1f}s")
            elif age <= child.policy.late_after and child.late:
                child.late = False
                self._event(child, "late", {"age": age, "recovered": True}, "heartbeat back")
            if age > child.policy.late_limit:
                self.begin_stop(child, restart=True, reason=f"silent for {age:.1f}s")
        if self.reader.changed:
            self.reader.changed, self._dirty = False, True
        new, resolved = self.conflicts.update(self.seen, wall)
        for conflict in new:
            with contextlib.suppress(OSError, KinError):
                Mailbox.send(self.workspace, conflict.waiting,
                             {"wait": True, "file": conflict.target, "holder": conflict.holder,
                              "reason": f"{conflict.holder} is working on {conflict.target}"},
                             sender=self.sender, kind="conflict", priority="high")
            self._event(self.children.get(conflict.waiting), "conflict", conflict.to_json(),
                        f"conflict on {conflict.target}: {conflict.waiting} told to wait for {conflict.holder}")
        for conflict in resolved:
            self._event(self.children.get(conflict.waiting), "conflict", {**conflict.to_json(), "resolved": True},
                        f"conflict on {conflict.target} resolved")

    def _look_for_orphans(self, now: float) -> None:
        if now < self._next_orphan_look:
            return
        self._next_orphan_look = now + ORPHAN_LOOK_S
        daemons = {c.pid for c in self.children.values() if c.pid is not None}
        for orphan in self.orphans.look(daemons):
            self._dirty = True  # published, so a next orchestrator stops it if this one dies
            owner = self.children.get(orphan.daemon_id)
            if owner is not None and owner.state not in UP:
                self.orphans.stop(orphan.daemon_id)  # its daemon is gone already: so must it be

    def _cap_logs(self, now: float) -> None:
        """Rotate the output files of children past [logs] max_bytes (a share of them per cycle), and report
        a child whose output floods them (rotated again within a minute)."""
        if now < self._next_log_check:
            return
        self._next_log_check = now + LOG_CHECK_S
        logs = self.workspace.kin_dir / "logs"
        for child in self.children.values():
            for suffix in (".out", ".err"):
                if not rotate_if_over(logs / f"{child.daemon_id}{suffix}", self.log_limits):
                    continue
                last = self._rotated.get(child.daemon_id)
                self._rotated[child.daemon_id] = now
                if last is not None and now - last < 60 and child.daemon_id not in self._flooding:
                    self._flooding.add(child.daemon_id)
                    self._event(child, "flood", {"log": f"{child.daemon_id}{suffix}",
                                                 "max_bytes": self.log_limits.max_bytes},
                                f"output flood: {child.daemon_id}{suffix} passed {self.log_limits.max_bytes} bytes "
                                "twice within a minute; only the newest output is kept")

    # -- leftovers and luciorbes -----------------------------------------------------------
    def _clean_leftovers(self) -> None:
        """Stop processes a previous orchestrator of this team recorded and left running (it died)."""
        stale = running_processes(read_team_state(self.workspace, self.team.name))
        if stale:
            count = kill_trees(stale, timeout=2.0)
            self._event(None, "state", {"leftovers": count},
                        f"stopped {count} leftover process(es) of a previous run of {self.team.name}")
        for daemon_id in self.children:
            self._clean_luciorbes(daemon_id, None)

    def _clean_luciorbes(self, daemon_id: str, pid: int | None) -> None:
        """Remove the luciorbes a dead incarnation of ``daemon_id`` left (a killed process cannot)."""
        try:
            record = read_record(record_path(self.workspace, daemon_id))
        except (OSError, ValueError):
            return
        if pid is None or record.pid == pid:
            clean_record(self.workspace, record)  # only that daemon's luciorbes, in the workspace, if its owner died

    # -- stopping --------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop every child (all at once), escalate after stop_timeout or at a second Ctrl+C."""
        alive = [c for c in self.children.values() if c.state in UP]
        self._event(None, "state", {"state": "stopping"}, f"stopping team {self.team.name}")
        # all asked to stop at once; the stop threads then wait for them, a bounded few at a time
        self.starter.terminate([c.pid for c in alive if c.pid is not None])
        for child in alive:
            self.begin_stop(child, restart=False, reason="team stopping")
        for child in self.children.values():
            child.wanted = False
            child.next_start = None
        longest = max((c.policy.stop_timeout for c in self.children.values()), default=0.0)
        deadline = self.clock.monotonic() + longest + 5.0
        killed = False
        while any(c.state == STOPPING for c in self.children.values()):
            if not killed and (self.force or self.clock.monotonic() > deadline):
                killed = True
                self.starter.kill([(c.pid, c.pid_started) for c in self.children.values()
                                   if c.state == STOPPING and c.pid is not None])
            now = self.clock.monotonic()
            for child in self.children.values():
                if child.state == STOPPING:
                    self._step(child, now, self.clock.time())
            if self._dirty:
                self.publish()
            if self.display is not None:
                self.display.refresh(self)
            self.clock.wait(self.wake, 0.02)
            self.wake.clear()
        if self.pool is not None:
            self.pool.shutdown(wait=False)
        self.orphans.look(set())
        left = self.orphans.stop(None)
        if left:
            self._event(None, "orphans", {"stopped": left}, f"stopped {left} process(es) the daemons left behind")
        for daemon_id in self.children:
            self._clean_luciorbes(daemon_id, None)
        for child in self.children.values():
            child.halted()
        self._event(None, "state", {"state": "stopped"}, f"team {self.team.name} stopped")

    # -- reporting ---------------------------------------------------------------------------
    def _apply(self, child: Child, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, data in events:
            self._event(child, kind, data, _describe(kind, data))
        if child.state not in UP:
            # the daemon stopped, crashed or is restarting: what it left behind goes with it
            self.orphans.look({c.pid for c in self.children.values() if c.pid is not None})
            stopped = self.orphans.stop(child.daemon_id)
            if stopped:
                self._event(child, "orphans", {"stopped": stopped},
                            f"stopped {stopped} process(es) {child.daemon_id} left behind")

    def _event(self, child: Child | None, kind: str, data: dict[str, Any], text: str) -> None:
        self._dirty = True
        who = child.daemon_id if child is not None else ""
        line = f"{time.strftime('%H:%M:%S', time.localtime(self.clock.time()))} {who or self.team.name}: {text}"
        self.events.append(line)
        if self.display is not None:
            self.display.event(line)
        self.kernel.emit(DaemonEvent(kind, who, self.team.name, data))

    def _accepts_tasks(self, child: Child) -> bool:
        registry = self.kernel.meta_daemon_types if child.spec.meta else self.kernel.daemon_types
        cls = registry.get(child.spec.type)
        return bool(getattr(cls, "accepts_tasks", False))

    def snapshot(self, wall: float | None = None) -> dict[str, Any]:
        """The state published for ``kin status`` (see :mod:`shadeos_core.teamstate`)."""
        wall = self.clock.time() if wall is None else wall
        in_conflict = self.conflicts.by_daemon()
        daemons = []
        for daemon_id, child in self.children.items():
            seen = self.seen.get(daemon_id, [])
            home = max(seen, key=lambda s: s.updated).luciorbe if seen else None
            busy = next((s.luciorbe for s in seen if s.luciorbe.task and s.luciorbe.status == "processing"), home)
            cpu, mem = self.resources.values.get(child.pid or -1, (None, None))
            conflict = in_conflict.get(daemon_id)
            held = self.taskflow.held.get(daemon_id)
            daemons.append({
                "name": child.name, "daemon_id": daemon_id, "type": child.spec.type, "meta": child.spec.meta,
                "state": child.state, "pid": child.pid, "pid_started": child.pid_started,
                "started": child.started_wall if child.alive else None, "restarts": child.restarts,
                "start_failures": child.failures, "exit_code": child.exit_code, "reason": child.reason,
                "active": child.wanted, "held": child.held, "status": home.status if home else None,
                "task": (busy.task if busy else "") or (held.text if held else ""),
                "progress": busy.progress if busy else "", "current_file": busy.current_file if busy else "",
                "heartbeat_age": round(wall - max(s.updated for s in seen), 3) if seen else None,
                "late": child.late, "cpu": cpu, "memory": mem,
                "conflict": conflict.to_json() if conflict else None,
                "held_task": held.id if held else None,
                "failing": _text(home.extra.get("failing")) if home and child.alive else None,
                "last_error": self._last_error(child),
                "place": self._place(child),
                **{key: home.extra.get(key) if home else None for key in MODEL_FIELDS},
            })
        return {"pid": os.getpid(), "pid_started": self.lock_started, "started_at": self.started_at,
                "updated_at": iso_now(wall), "phase": self.phase, "cycle": self.cycle_s, "daemons": daemons,
                "conflicts": [c.to_json() for c in self.conflicts.active.values()],
                "orphans": [o.to_json() for o in self.orphans.known.values()],
                "tasks": {"held": len(self.taskflow.held)}, "events": list(self.events)[-10:]}

    @property
    def lock_started(self) -> float:
        import psutil

        if not hasattr(self, "_own_started"):
            self._own_started = psutil.Process().create_time()
        return self._own_started

    def _place(self, child: Child) -> str | None:
        """Where a daemon started through a mode that places it elsewhere runs (``None`` for a local one)."""
        if self.modes.get(child.daemon_id, LOCAL) == LOCAL or child.pid is None or not child.alive:
            return None
        place = read_place(self.workspace, child.pid)
        return str(place["where"]) if place else None

    def _last_error(self, child: Child) -> str | None:
        """The last line a daemon that ended badly wrote on stderr in its last life (read once per life)."""
        if child.state not in ENDED or child.exit_code in (0, None):
            return None
        cached = self._last_errors.get(child.daemon_id)
        if cached is None or cached[0] != child.started_wall:
            line = _last_line(self._err_path(child), self._err_from.get(child.daemon_id, 0), child.daemon_id)
            cached = self._last_errors[child.daemon_id] = (child.started_wall, line)
        return cached[1]

    def _err_path(self, child: Child) -> Path:
        return self.workspace.kin_dir / "logs" / f"{child.daemon_id}.err"  # the background mode's, by its name

    def publish(self, wall: float | None = None, *, now: bool = False) -> None:
        """Write the state file, at most every :data:`MIN_PUBLISH_S` (else it is written at the next chance)."""
        wall = self.clock.time() if wall is None else wall
        if not now and wall - self._last_publish < MIN_PUBLISH_S:
            self._dirty = True
            return
        path = state_path(self.workspace, self.team.name)
        try:
            write_team_state(self.workspace, self.team.name, self.snapshot(wall))
        except OSError as exc:
            if not disk_fault(exc, path, on_report=self._disk_report):
                raise
            self._dirty, self._last_publish = True, wall  # written again at the next chance
            return
        recovered(path, on_report=self._disk_report)
        self._last_publish, self._dirty = wall, False

    def _disk_report(self, line: str) -> None:
        self._event(None, "disk", {"error": line}, line)


def _text(value: Any) -> str | None:
    return value[:500] if isinstance(value, str) and value else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _last_line(path: Path, offset: int, daemon_id: str) -> str | None:
    """The last line written to ``path`` past ``offset``, without the runner's wrapping of a crash
    (``kin: daemon ID crashed: ERROR (traceback in …)``): ``None`` when nothing was written there."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            # a file smaller than at the start was rotated since: all it holds is new
            handle.seek(max(offset if offset <= size else 0, size - 4096))
            lines = [line.strip() for line in handle.read().decode("utf-8", "replace").splitlines() if line.strip()]
    except OSError:
        return None
    if not lines:
        return None
    line = lines[-1].removeprefix("kin: ").removeprefix(f"daemon {daemon_id} crashed: ")
    return line.split(" (traceback in ", 1)[0][:500]


def _describe(kind: str, data: dict[str, Any]) -> str:
    state = data.get("state", "")
    if kind == "restarted":
        return f"restarting ({data['why']}, restarts {data['restarts']})"
    if kind == "fatal":
        return f"FATAL: {data.get('reason', '')}"
    if kind == "crashed":
        retry = f", retry {data['retry']}" if data.get("retry") else ""
        return f"{state} (pid {data.get('pid')} exited with {data.get('code')}{retry})"
    if kind == "started":
        return f"RUNNING (pid {data.get('pid')})"
    if kind == "stopped":
        return f"{state} (pid {data.get('pid')} exited with {data.get('code')})"
    extra = f" (pid {data['pid']})" if data.get("pid") else ""
    return f"{state}{extra}" + (f": {data['reason']}" if data.get("reason") else "")

