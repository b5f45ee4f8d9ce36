"""What a daemon is to the runtime: the base classes plugin authors subclass."""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import KinError
from .events import DaemonEvent
from .luciorbe import LuciorbeHandle, LuciorbeKeeper
from .mailbox import Mailbox, Message

if TYPE_CHECKING:
    from .kernel import Kernel
    from .tasks import Task
    from .team import DaemonSpec, Team

__all__ = ["Daemon", "MetaDaemon", "Injection", "CycleResult", "OptionError", "SCOPES"]

SCOPES = ("global", "session", "private")


@dataclass(frozen=True)
class Injection:
    """Something handed to a cycle: ``scope`` (global|session|private), ``type`` (context|message|memory|files|…)."""

    scope: str
    type: str
    content: Any

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"injection scope must be one of {', '.join(SCOPES)}, not {self.scope!r}")


@dataclass
class CycleResult:
    """What a cycle reports. ``status`` ``ok``/``idle``/``error``; the rest goes to the daemon's luciorbe and events.

    ``next_in`` asks for the next cycle within that many seconds even when no
    trigger fires (a daemon waiting for a budget window or a retry backoff).
    """

    status: str = "ok"
    task: str | None = None
    progress: str | None = None
    notes: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    next_in: float | None = None


class OptionError(KinError):
    """A daemon type's option has a bad value: raised by :meth:`Daemon.check_options`, naming the ``key``.

    The team file validator turns it into a one-line error pointing at the key's file and line.
    """

    exit_code = 2

    def __init__(self, key: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.key = key


class Daemon:
    """A long-running worker hosted in its own process by ``python -m shadeos_core.runner``.

    Subclass it, override :meth:`cycle` (and optionally :meth:`setup`,
    :meth:`teardown`, :meth:`status`, :meth:`handle_action`), and register the
    class with the ``register_daemons`` hook. ``OPTIONS`` names the extra keys
    a team file may set for this type (``None`` accepts any); their values are
    in ``self.options``.
    """

    OPTIONS: ClassVar[Mapping[str, type | tuple[type, ...]] | None] = {}
    description: ClassVar[str] = ""
    #: True when the type handles messages of kind ``"task"`` (body ``{"task": {...}}``): a supervisor
    #: then claims queued tasks on its behalf and mails them to it when it holds none.
    accepts_tasks: ClassVar[bool] = False

    def __init__(self, spec: DaemonSpec, team: Team, kernel: Kernel) -> None:
        self.spec = spec
        self.team = team
        self.kernel = kernel
        self.workspace = kernel.workspace
        self.name = spec.name
        self.daemon_id = spec.daemon_id
        self.options: dict[str, Any] = dict(spec.options)
        self._outboxes: dict[str, Mailbox] = {}  # by target: the mailboxes this daemon sends to
        self.log = logging.getLogger(f"kin.{self.daemon_id}")
        self.cycles = 0
        #: Set by :meth:`finishing`, cleared by the runner before each cycle.
        self.cycle_finishing = False
        self.luciorbes = LuciorbeKeeper(self.workspace, self.daemon_id, daemon_type=spec.type, team=team.name,
                                        heartbeat_s=spec.heartbeat)

    @classmethod
    def check_options(cls, spec: DaemonSpec, kernel: Kernel) -> None:
        """Check the values of this type's options when a team file is validated (before anything runs).

        Raise :class:`OptionError` naming the key for a bad value, or a
        :class:`~shadeos_core.errors.ConfigError` for a setting read elsewhere
        (e.g. ``kin.toml``). The default accepts everything ``OPTIONS`` let through.
        """

    # -- lifecycle, overridden by subclasses --------------------------------------------
    def setup(self) -> None:
        """Called once in the daemon's process before the first cycle."""

    def cycle(self, injections: Sequence[Injection]) -> CycleResult | None:
        """Do one unit of work. ``injections`` carry messages, changed files and context."""
        raise NotImplementedError(f"{type(self).__name__} must implement cycle()")

    def status(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot for dashboards."""
        return {"name": self.name, "daemon_id": self.daemon_id, "type": self.spec.type, "cycles": self.cycles}

    def handle_action(self, action_type: str, params: Mapping[str, Any]) -> Any:
        """Carry out a named action sent by another daemon or a person."""
        raise KinError(f"daemon {self.daemon_id!r} has no action {action_type!r}")

    def teardown(self) -> None:
        """Called once on graceful stop (SIGTERM/SIGINT) or after a crash, before luciorbes are removed."""

    # -- services ------------------------------------------------------------------------
    def finishing(self) -> None:
        """Say the cycle's work is done and what is left is its bookkeeping (a commit, a record, a task marked
        done): from here on a stop signal no longer interrupts the cycle, and the runner stops once it returns.

        Before it, a stop raises :class:`~shadeos_core.containment.GracefulStop` wherever the cycle is (a long
        model call ends at once); after it, the few steps that must happen together are never cut in between.
        """
        self.cycle_finishing = True

    def send(self, target: str, message: Any, priority: int | str = "normal", *, kind: str = "message") -> Message:
        """Send ``message`` (JSON) to ``target``: a daemon name of this team, or a full ``team.daemon`` id.

        When the team file sets ``talks_to`` for this daemon, only those targets are allowed.
        """
        allowed = self.spec.talks_to
        if allowed is not None and target not in allowed and target.split(".")[-1] not in allowed:
            raise KinError(f"{self.daemon_id!r} may not message {target!r}",
                           hint=f"add it to talks_to in the team file (now: {', '.join(allowed) or 'nobody'})")
        full = target if "." in target else f"{self.team.name}.{target}"
        box = self._outboxes.get(full)
        if box is None:
            if len(self._outboxes) >= 64:
                self._outboxes.clear()
            box = self._outboxes[full] = Mailbox.outbox(self.workspace, full)
        sent = box.deliver(message, sender=self.daemon_id, priority=priority, kind=kind)
        self.kernel.emit_later("message", self.daemon_id, self.team.name, {"sent": sent.name, "to": full,
                                                                          "message_kind": kind})
        return sent

    @contextlib.contextmanager
    def luciorbe(self, directory: str | os.PathLike[str] = ".", task: str = "", **fields: Any) -> Iterator[LuciorbeHandle]:
        """Leave a luciorbe in ``directory`` for the length of a task (removed on completion or failure)."""
        with self.luciorbes.task(directory, task, **fields) as handle:
            yield handle

    # -- the shared task queue (.kin/tasks/) -------------------------------------------
    def take_task(self) -> Task | None:
        """Claim the oldest queued task this daemon may take (``None`` when there is none)."""
        from .tasks import TaskQueue

        task = TaskQueue(self.workspace).claim(self.daemon_id, pid=os.getpid())
        if task is not None:
            self.emit("task", action="claimed", task=task.id, by=task.by)
        return task

    def task_of(self, message: Message) -> Task | None:
        """The task a ``"task"`` message hands over, if this daemon still holds it (else ``None``)."""
        from .tasks import TaskQueue

        body = message.body if message.kind == "task" else None
        task_id = body.get("task", {}).get("id") if isinstance(body, dict) and isinstance(body.get("task"), dict) else None
        if not isinstance(task_id, str):
            return None
        task = TaskQueue(self.workspace).get(task_id)
        if task is None or task.state != "claimed" or task.holder != self.daemon_id:
            return None
        self.emit("task", action="claimed", task=task.id, by=task.by)
        return task

    def complete_task(self, task: Task | str, result: Any = None) -> bool:
        """Mark a task this daemon holds as done; False when it was taken back meanwhile."""
        from .tasks import TaskQueue

        task_id = task if isinstance(task, str) else task.id
        done = TaskQueue(self.workspace).complete(task_id, holder=self.daemon_id, result=result) is not None
        if done:
            self.emit("task", action="completed", task=task_id)
        return done

    def release_task(self, task: Task | str, reason: str = "", *, failed: bool = False) -> bool:
        """Give a held task back to the queue for another daemon; ``failed`` when this daemon failed it (it then
        rests before it is handed out again, and moves to ``failed/`` after ``[tasks] max_failures``)."""
        from .tasks import TaskQueue

        task_id = task if isinstance(task, str) else task.id
        released = TaskQueue(self.workspace).release(task_id, holder=self.daemon_id, reason=reason,
                                                     failed=failed) is not None
        if released:
            self.emit("task", action="failed" if failed else "requeued", task=task_id, reason=reason[:300])
        return released

    def emit(self, kind: str, **data: Any) -> None:
        """Broadcast a ``daemon_event`` from this daemon."""
        self.kernel.emit(DaemonEvent(kind, self.daemon_id, self.team.name, data))

    def emit_later(self, kind: str, **data: Any) -> None:
        """Broadcast a ``daemon_event`` with the next one, or once the runner has nothing to do (``Kernel.emit``)."""
        self.kernel.emit_later(kind, self.daemon_id, self.team.name, data)


class MetaDaemon(Daemon):
    """A daemon that works on the system itself (orchestrator, archivist, janitor, context, map)."""
