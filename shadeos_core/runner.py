"""Host one daemon in this process: ``python -m shadeos_core.runner --team T --daemon D [--cwd DIR] [--spec FILE]``.

With ``--spec`` the daemon is the one the spec file holds, resolved by whoever
started the runner (see :mod:`shadeos_core.runspec`); without it the runner
reads the team files itself (for running one daemon by hand).

Cycles run once at start, then on each trigger: the ``every`` interval, a
message arriving (``on_message``; also the default when no trigger is set) and
watched files changing (``watch``, debounced). A heartbeat keeps the daemon's
luciorbes fresh. SIGTERM/SIGINT: ``teardown()``, own luciorbes removed, exit 0.
A crash: traceback in ``.kin/logs/<daemon_id>.log``, exit 1.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from typing import Any, Protocol

from .containment import GracefulStop
from .daemon import CycleResult, Daemon, Injection
from .diskfaults import describe, disk_fault, is_disk_fault
from .errors import KinError, UsageError
from .idle_gc import IdleCollector
from .inotify import Alarm
from .kernel import Kernel
from .lifeline import die_with_parent
from .mailbox import Mailbox, Message
from .runspec import read_spec
from .status_relay import StatusRelay

__all__ = ["DaemonRunner", "GracefulStop", "main", "runner_argv", "set_from_signal_handler"]

log = logging.getLogger("kin.runner")
EXIT_CRASH = 1
EXIT_CONFIG = 2
#: Seconds with nothing to do after which a runner hands the events of its last cycles to their listeners.
EVENTS_IDLE = 0.0005
#: Seconds an event waits at most for its runner to have nothing to do.
EVENTS_HOLD = 0.1
#: Seconds with nothing to do, after the events were handed on, after which a runner collects its garbage.
GC_IDLE = 0.0005
#: Seconds a runner waits after a disk fault before its next cycle.
DISK_RETRY_S = 5.0


class _Settable(Protocol):
    def set(self) -> None: ...


def set_from_signal_handler(*events: _Settable) -> None:
    """Set ``events`` from a signal handler without ever blocking it.

    ``Event.set`` takes the event's lock. A handler runs on the main thread
    between two bytecodes of whatever it interrupted, possibly inside that
    same event's ``wait``/``clear``/``set`` or inside an earlier run of the
    handler (the parent-death signal arrives once per thread of the dead
    parent, microseconds apart): taking the lock there deadlocks the process
    for good. A short-lived thread sets them instead, as soon as the lock is free.
    """

    def run() -> None:
        for event in events:
            event.set()

    try:
        threading.Thread(target=run, name="kin-signal", daemon=True).start()
    except RuntimeError:
        pass  # the interpreter is exiting: nobody is left waiting on them


def runner_argv(team: str, daemon: str, *, cwd: str | None = None, spec: str | os.PathLike[str] | None = None
                ) -> list[str]:
    """The command line that hosts ``daemon`` of ``team`` in its own process (the one ``spec`` holds, if given)."""
    argv = [sys.executable, "-m", "shadeos_core.runner", "--team", team, "--daemon", daemon]
    return argv + (["--cwd", cwd] if cwd else []) + (["--spec", os.fspath(spec)] if spec is not None else [])


class DaemonRunner:
    """Drives one :class:`Daemon`: triggers, heartbeat, mailbox, signals."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.spec = daemon.spec
        self.kernel = daemon.kernel
        self.wake = Alarm()  # set by triggers and signals, and by a message arriving once on_message is watched
        self.stopping = threading.Event()
        self.stop_signalled = False  # set by the signal handler at once; ``stopping`` follows from a helper thread
        self.in_cycle = False
        self.changed: set[str] = set()
        self._changed_lock = threading.Lock()
        self.mailbox = Mailbox(self.kernel.workspace, daemon.daemon_id)
        self.home: Any = None
        self.status: StatusRelay | None = None  # writes home's status off the path of messages
        self._threads: list[Any] = []
        self._waiters: list[Any] = []
        self.probation = False  # after a failed delivery: one message per cycle
        self.hold_until = 0.0  # after a disk fault: no cycle before this (monotonic)
        self.garbage = IdleCollector()

    # -- signals -------------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame: Any) -> None:
        # Plain attributes only: a repeated signal may interrupt this very handler (see set_from_signal_handler).
        first = not self.stop_signalled
        self.stop_signalled = True
        if not first:
            return
        set_from_signal_handler(self.stopping, self.wake)
        if self.in_cycle and not self.daemon.cycle_finishing:
            raise GracefulStop(signal.Signals(signum).name)

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    # -- triggers ------------------------------------------------------------------------
    def _start_triggers(self) -> None:
        from .watch import DebouncedWatcher

        if self.spec.on_message or (self.spec.every is None and not self.spec.watch):
            # the watch is set up before the first cycle so no arrival is missed; the main loop sleeps on it
            # (through the alarm) until a message arrives, in new/ or on the live lane: an idle daemon wakes
            # for nothing
            waiter = self.mailbox.watch()
            self._waiters.append(waiter)
            self.wake.watch(waiter)
        if self.spec.watch:
            watcher = DebouncedWatcher(self.kernel.workspace.root, self.spec.watch, self._on_files,
                                       debounce=self.spec.debounce)
            watcher.start()
            self._threads.append(watcher)

    def _on_files(self, paths: set[str]) -> None:
        with self._changed_lock:
            self.changed |= paths
        self.wake.set()

    def _heartbeat(self) -> None:
        while not self.stopping.wait(self.spec.heartbeat):
            self.daemon.luciorbes.beat()

    # -- one cycle -----------------------------------------------------------------------
    def _injections(self) -> tuple[list[Injection], list[Message], bool]:
        """What the next cycle gets, the messages among it, and whether anything arrived at all (a message, an
        action, a file changed)."""
        injections: list[Injection] = []
        # after a failed delivery, one message per cycle until a cycle goes well: the poison is found alone
        messages = self.mailbox.receive(limit=1 if self.probation else None)
        delivered = []
        for message in messages:
            self.kernel.emit_later("message", self.daemon.daemon_id, self.spec.team, {
                "received": message.name, "sender": message.sender, "message_kind": message.kind,
                "tries": message.tries})
            if message.kind == "action" and isinstance(message.body, dict):
                self._action(message)
            else:
                injections.append(Injection("private", "message", message))
                delivered.append(message)
        with self._changed_lock:
            changed, self.changed = self.changed, set()
        if changed:
            injections.append(Injection("session", "files", sorted(changed)))
        return injections, delivered, bool(messages or changed)

    def _action(self, message: Message) -> None:
        body = message.body
        try:
            self.daemon.handle_action(str(body.get("action", "")), body.get("params") or {})
        except KinError as exc:
            log.warning("%s: action %r from %s refused: %s", self.daemon.daemon_id, body.get("action"), message.sender,
                        exc)
        except GracefulStop:
            self.mailbox.release([message])
            raise
        except BaseException as exc:  # noqa: BLE001 - an action's handling is untrusted: any failure is the message's
            self._failed([message], exc)
            return
        self.mailbox.ack(message)

    def run_cycle(self, work: tuple[list[Injection], list[Message], bool] | None = None) -> CycleResult | None:
        """One cycle: the messages waiting and the files changed (``work``, taken now if not given) go to the
        daemon's ``cycle``. The acknowledgements of its messages are journaled, and the events it made on its
        way reach their listeners, once the runner has had nothing to do for a moment (see :meth:`_wait`), or
        with the next claim, or after :data:`EVENTS_HOLD` under constant load."""
        injections, messages, _arrived = work if work is not None else self._injections()
        self._show(status="processing")
        started = time.perf_counter()
        self.daemon.cycle_finishing = False
        self.in_cycle = True
        try:
            result = self.daemon.cycle(injections)
        except GracefulStop:
            self.in_cycle = False
            self.mailbox.release(messages)  # stopped before they were handled: they come back as they were
            raise
        except BaseException as exc:  # noqa: BLE001 - whatever a message made the cycle raise (see _failed)
            self.in_cycle = False
            if is_disk_fault(exc):
                return self._disk_fault(exc, messages)
            if not messages:
                raise  # no message to blame: the daemon itself fails, and the supervisor restarts it
            self._failed(messages, exc)
            result = CycleResult(status="error", notes=f"a message could not be handled: {_describe(exc)}")
            self._show(status="waiting", notes=result.notes)
            return result
        finally:
            self.in_cycle = False
        self.daemon.cycles += 1
        if self.mailbox.left_behind:
            self.wake.set()  # one message per cycle, or a retry alone: the others wait for no new arrival
        self.probation = False
        for message in messages:
            self.mailbox.ack(message)
        fields: dict[str, Any] = {"status": "waiting"}
        if result is not None:
            fields.update({k: v for k, v in (("task", result.task), ("progress", result.progress),
                                             ("notes", result.notes)) if v is not None})
        self._show(**fields)
        self.kernel.emit_later("cycle", self.daemon.daemon_id, self.spec.team, {
            "duration": time.perf_counter() - started, "cycles": self.daemon.cycles,
            "status": result.status if result else "ok", "messages": len(messages)})
        return result

    def _show(self, **fields: Any) -> None:
        if self.status is not None:
            self.status.show(**fields)
        else:
            self.home.update(**fields)

    def _disk_fault(self, exc: BaseException, messages: list[Message]) -> CycleResult:
        """The disk is full, read-only or failing: nobody's fault but the machine's. The messages go back as
        they were, the fault is reported once, and the next cycle waits a while (then retries)."""
        assert isinstance(exc, OSError)
        self.mailbox.release(messages)
        disk_fault(exc, exc.filename or self.spec.workdir)
        self.hold_until = time.monotonic() + DISK_RETRY_S
        result = CycleResult(status="error", notes=describe(exc), next_in=DISK_RETRY_S)
        self._show(status="waiting", notes=result.notes)
        return result

    def _failed(self, messages: list[Message], exc: BaseException) -> None:
        """Messages whose handling raised, whatever the exception (``SystemExit``, ``KeyboardInterrupt`` and
        the interpreter's own ``RecursionError`` or ``MemoryError`` included): delivered again, alone, up to
        the limit, then moved to the dead letters. The daemon goes on with the next message."""
        error = _describe(exc)
        log.error("%s: handling %d message(s) failed: %s\n%s", self.daemon.daemon_id, len(messages), error,
                  "".join(traceback.format_exception(exc))[-8000:])
        for message in messages:
            try:
                outcome = self.mailbox.fail(message, error)
            except OSError as failure:
                log.error("%s: cannot requeue %s: %s", self.daemon.daemon_id, message.name, failure)
                continue
            kind = "dead_letter" if outcome == "dead" else "delivery_failed"
            self.daemon.emit(kind, message=message.name, sender=message.sender, tries=message.tries, error=error)
        self.probation = True
        self.wake.set()  # what is left (retries included) is handled next, whether or not anything arrives

    # -- the whole life ------------------------------------------------------------------
    def run(self) -> int:
        daemon = self.daemon
        recovered = self.mailbox.own() + self.mailbox.recover()
        if recovered:
            log.info("%s: %d unacknowledged message(s) redelivered", daemon.daemon_id, recovered)
            self.probation = True  # one of them may have killed the last life: each is handled alone
        self.home = daemon.luciorbes.open(self.spec.workdir, status="starting", task=self.spec.description)
        self.status = StatusRelay(self.home)
        threading.Thread(target=self._heartbeat, daemon=True, name="kin-heartbeat").start()
        try:
            self.in_cycle = True  # setup may take long: let a stop signal interrupt it
            try:
                daemon.setup()
            finally:
                self.in_cycle = False
            self._start_triggers()
            daemon.emit("started", pid=os.getpid())
            self._show(status="waiting")
            next_due = time.monotonic()
            while not self.stop_signalled:  # set by the signal handler, before anything else (see _on_signal)
                now = time.monotonic()
                held = self.kernel.events_held_since()
                if held is not None and now - held >= EVENTS_HOLD:
                    self._after_work()  # busy without a pause: events go on anyway, in batches
                if now < self.hold_until:  # after a disk fault: a pause before trying again
                    self.stopping.wait(self.hold_until - now)
                    continue
                if self.wake.is_set() or now >= next_due:
                    self.wake.clear()
                    work = self._injections()
                    if not work[2] and now < next_due:
                        continue  # woken for nothing (a bell heard for a message taken already): no cycle
                    result = self.run_cycle(work)
                    if self.spec.every is not None:
                        next_due = max(next_due + self.spec.every, time.monotonic()) if now >= next_due else next_due
                    else:
                        next_due = float("inf")
                    if result is not None and result.next_in is not None:
                        next_due = min(next_due, time.monotonic() + max(0.0, result.next_in))
                    continue
                self._wait(min(next_due - now, 3600.0))
        except GracefulStop:
            pass
        except BaseException as exc:  # noqa: BLE001 - SystemExit or KeyboardInterrupt from the daemon's code too
            return self._crash(exc)
        return self._stop()

    def _wait(self, timeout: float) -> None:
        """Sleep until woken or ``timeout``; after :data:`EVENTS_IDLE` with nothing to do, what the last cycles
        left (:meth:`_after_work`) is done first, so that it never delays a message already on its way; after
        :data:`GC_IDLE` more, the garbage they left is collected (see :mod:`shadeos_core.idle_gc`)."""
        if self.kernel.events_held_since() is not None or self.mailbox.unflushed:
            if self.wake.wait(min(timeout, EVENTS_IDLE)):
                return
            self._after_work()
            timeout -= EVENTS_IDLE
            if timeout <= 0:
                return
        if timeout > 2 * GC_IDLE and self.garbage.due():  # (never right before a cycle that is due)
            if self.wake.wait(GC_IDLE):  # the events just handed on are handled first: listeners allocate too
                return
            self.garbage.collect()
            timeout -= GC_IDLE
        self.wake.wait(timeout)

    def _after_work(self) -> None:
        """What the last cycles left to do off the way of messages: journal their acknowledgements, hand their
        events to the listeners."""
        try:
            self.mailbox.flush()
        except OSError as exc:
            log.warning("%s: cannot journal acknowledged messages (they may come again): %s",
                        self.daemon.daemon_id, exc)
        self.kernel.release_events()

    def _stop(self) -> int:
        self._shutdown()
        self.daemon.emit("stopped", cycles=self.daemon.cycles)
        self.kernel.flush_events(1.0)
        return 0

    def _crash(self, exc: BaseException) -> int:
        log.error("%s crashed:\n%s", self.daemon.daemon_id, traceback.format_exc())
        self._shutdown()
        self.daemon.emit("crashed", error=f"{type(exc).__name__}: {exc}")
        self.kernel.flush_events(1.0)
        print(f"kin: daemon {self.daemon.daemon_id} crashed: {type(exc).__name__}: {exc} "
              f"(traceback in .kin/logs/{self.daemon.daemon_id}.log)", file=sys.stderr)
        return EXIT_CRASH

    def _shutdown(self) -> None:
        """Triggers off, ``teardown()`` (its failure is logged, not raised), own luciorbes removed."""
        self._halt_triggers()
        if self.status is not None:
            self.status.stop()
        try:
            self.daemon.teardown()
        except Exception:
            log.exception("%s: teardown failed", self.daemon.daemon_id)
        try:
            self.mailbox.disown()  # what the live lane holds becomes message files for the next life
        except OSError:
            log.exception("%s: cannot write out the live lane of its mailbox", self.daemon.daemon_id)
        self.daemon.luciorbes.release_all()

    def _halt_triggers(self) -> None:
        self.stopping.set()
        for waiter in self._waiters:
            waiter.stop()  # the main loop, its only user, has left
        for thing in self._threads:
            try:
                thing.stop()
            except Exception:
                log.debug("stopping a trigger failed", exc_info=True)


def _setup_logging(kernel: Kernel, daemon_id: str) -> None:
    from .logcap import LogLimits, rotating_handler

    logs = kernel.workspace.state_dir("logs")
    # rotated past [logs] max_bytes: a daemon that logs without end cannot fill the disk
    handler = rotating_handler(logs / f"{daemon_id}.log", LogLimits.from_workspace(kernel.workspace))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def build(team_name: str, daemon_name: str, cwd: str | None, spec_file: str | None = None) -> Daemon:
    kernel = Kernel.load(cwd)
    if spec_file is not None:
        team, spec = read_spec(spec_file)
        if (team.name, spec.name) != (team_name, daemon_name):
            raise UsageError(f"the daemon spec holds {spec.daemon_id}, not {team_name}.{daemon_name}",
                             where=spec_file, hint="pass the --team and --daemon the spec names")
    else:
        # the orchestrator validated the team before starting us: the types' own value checks are not run again
        team = kernel.teams(cwd, check_values=False).get(team_name)
        spec = team.member(daemon_name)
    registry = kernel.meta_daemon_types if spec.meta else kernel.daemon_types
    cls = registry.require(spec.type, where=f"team {team.name!r}, daemon {spec.name!r}")
    daemon: Daemon = cls(spec, team, kernel)
    return daemon


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shadeos_core.runner", description=__doc__)
    parser.add_argument("--team", required=True)
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--cwd", default=None, help="directory to discover the workspace and team from")
    parser.add_argument("--spec", default=None,
                        help="the resolved daemon spec to run (JSON), instead of reading the team files")
    args = parser.parse_args(argv)
    parent = os.environ.get("KIN_PARENT_PID")
    if parent and parent.isdigit():
        die_with_parent(signal.SIGTERM, parent_pid=int(parent))
    try:
        daemon = build(args.team, args.daemon, args.cwd, args.spec)
    except KinError as exc:
        print(f"kin: error: {exc}", file=sys.stderr)
        return exc.exit_code if exc.exit_code else EXIT_CONFIG
    _setup_logging(daemon.kernel, daemon.daemon_id)
    runner = DaemonRunner(daemon)
    runner.install_signals()
    return runner.run()


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
