"""The task queue daemons take work from: ``.kin/tasks/{tmp,new,claimed,done}`` (maildir-style).

A task is one JSON file. Adding writes ``tmp/<id>.json`` and renames it into
``new/``; claiming renames ``new/<id>.json`` to ``claimed/<id>@<holder>.json``
(one rename: exactly one claimant wins); completing moves it to
``done/<id>.json``; releasing puts it back in ``new/``. Ids
``<ns>-<pid>-<seq>`` sort in creation order, so ``new/`` is FIFO. The holder is
in the file name, so a reader never sees a claimed task without its holder.

File content::

    {"schema": 1, "id": "…", "text": "Write the parser", "to": "coding.production" | null,
     "by": "…", "created_at": 1763650000.1, "holder": "coding.production" | null,
     "holder_pid": 4242 | null, "claimed_at": … | null, "attempts": 1,
     "history": [{"event": "claimed", "holder": "…", "time": …}, …],
     "result": null, "done_at": null, "failures": 0, "retry_at": null, "failed_at": null}

A task is untrusted input like any file: a field of the wrong type is dropped
on reading (its default applies); a file that is not a task (not JSON, no
``id`` or ``text``) is moved aside to ``.kin/quarantine/tasks/`` with a
``.why.json`` and said once (:attr:`TaskQueue.damaged`, a warning in the log).
``cancel`` moves a task that is not done to ``done/`` with the result
``{"outcome": "cancelled"}``.

A task whose holder fails it (an error, a crash, a holder restarted or gone
silent while holding it) is a *failure*; stopping a holder gracefully is not.
After a failure the task rests before it is handed out again (``retry_at``:
``retry_after`` doubled per failure, at most 10 minutes); after
``max_failures`` it moves to ``failed/`` with the reason, and stays there
until ``kin task retry`` puts it back. ``[tasks]`` in ``kin.toml``::

    [tasks]
    max_failures = 3     # failures before a task moves to failed/
    retry_after = "10s"  # rest after the first failure (doubled per failure)
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .durations import check_count, parse_duration
from .errors import ConfigError, UsageError
from .fsio import atomic_write_json, loads_json
from .shapes import INT, LIST, NUMBER, TEXT, objects, typed
from .workspace import Workspace, check_name

__all__ = ["Task", "TaskQueue", "TaskRetries", "TASK_STATES", "addressed_to"]

log = logging.getLogger("kin.tasks")

TASK_STATES = ("queued", "claimed", "done", "failed")
_DIRS = {"queued": "new", "claimed": "claimed", "done": "done", "failed": "failed"}
_STATE_OF_DIR = {d: state for state, d in _DIRS.items()}
_FIELDS = {"id": TEXT, "text": TEXT, "to": TEXT, "by": TEXT, "created_at": NUMBER, "holder": TEXT,
           "holder_pid": INT, "claimed_at": NUMBER, "attempts": INT, "history": LIST, "done_at": NUMBER,
           "failures": INT, "retry_at": NUMBER, "failed_at": NUMBER}
MAX_RETRY_AFTER = 600.0
_SEQ = itertools.count()
_SEQ_LOCK = threading.Lock()


def addressed_to(to: str | None, daemon_id: str) -> bool:
    """Whether a task for ``to`` (a full daemon id, a bare daemon name, or nobody) may go to ``daemon_id``."""
    return not to or to == daemon_id or daemon_id.endswith("." + to)


@dataclass
class Task:
    """One task; ``state`` comes from the directory it sits in, ``holder`` from its file name when claimed."""

    id: str
    text: str
    to: str | None = None
    by: str = ""
    created_at: float = 0.0
    holder: str | None = None
    holder_pid: int | None = None
    claimed_at: float | None = None
    attempts: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    result: Any = None
    done_at: float | None = None
    failures: int = 0
    retry_at: float | None = None
    failed_at: float | None = None
    state: str = "queued"
    path: Path | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        return {"schema": 1, **data}

    def _content(self) -> dict[str, Any]:
        data = self.to_json()
        data.pop("state")
        return data


    def resting(self, now: float | None = None) -> bool:
        """Whether a queued task waits out the rest after a failure (``retry_at`` still to come)."""
        return self.retry_at is not None and self.retry_at > (time.time() if now is None else now)

    @property
    def last_reason(self) -> str:
        """Why it was last released or failed (``""`` when never)."""
        for event in reversed(self.history):
            if event.get("event") in ("released", "failed") and isinstance(event.get("reason"), str):
                return str(event["reason"])
        return ""


@dataclass(frozen=True)
class TaskRetries:
    """``[tasks]`` in ``kin.toml``: how many failures a task gets, and how long it rests after one."""

    max_failures: int = 3
    retry_after: float = 10.0

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> TaskRetries:
        """The workspace's settings; a bad value is a :class:`ConfigError` naming the key."""
        raw = workspace.section("tasks", ("max_failures", "retry_after"))
        where = f"{workspace.config_path} [tasks]"
        return cls(check_count(raw.get("max_failures", cls.max_failures), minimum=1, maximum=1000,
                               where=f"{where} max_failures", what="number of failures"),
                   min(parse_duration(raw.get("retry_after", cls.retry_after), where=f"{where} retry_after"),
                       MAX_RETRY_AFTER))

    def rest(self, failures: int) -> float:
        """Seconds a task rests after its ``failures``-th failure."""
        return min(self.retry_after * 2.0 ** min(max(failures - 1, 0), 20), MAX_RETRY_AFTER)


class TaskQueue:
    """The task queue of a workspace. Every operation is a rename, so several processes may share it."""

    def __init__(self, workspace: Workspace, retries: TaskRetries | None = None) -> None:
        self.workspace = workspace
        self._retries = retries
        #: Task files found damaged (and moved aside) by this queue: ``(path, where it went, why)``.
        self.damaged: list[tuple[Path, Path, str]] = []
        self.root = workspace.state_dir("tasks")
        self.tmp, self.new, self.claimed, self.done, self.failed = (
            self.root / d for d in ("tmp", "new", "claimed", "done", "failed"))
        for directory in (self.tmp, self.new, self.claimed, self.done, self.failed):
            directory.mkdir(exist_ok=True)

    @property
    def retries(self) -> TaskRetries:
        """The workspace's ``[tasks]`` settings (the defaults when they are not valid: the supervisor, which
        checks them at start, says why)."""
        if self._retries is None:
            try:
                self._retries = TaskRetries.from_workspace(self.workspace)
            except ConfigError:
                self._retries = TaskRetries()
        return self._retries

    # -- adding and reading --------------------------------------------------------------
    def add(self, text: str, *, to: str | None = None, by: str = "", data: dict[str, Any] | None = None) -> Task:
        """Queue a task; ``to`` reserves it for one daemon (full id or bare name)."""
        if not isinstance(text, str) or not text.strip():
            raise UsageError("a task needs a non-empty text", hint='e.g. kin task add "Write the parser"')
        if to is not None:
            check_name(to, what="task target")
        with _SEQ_LOCK:
            seq = next(_SEQ)
        task = Task(id=f"{time.time_ns():020d}-{os.getpid()}-{seq:04d}", text=text.strip(), to=to, by=by,
                    created_at=time.time(), history=[{"event": "added", "time": time.time(), **(data or {})}])
        tmp = self.tmp / f"{task.id}.json"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(task._content(), handle, ensure_ascii=False)
        os.rename(tmp, self.new / f"{task.id}.json")
        task.path = self.new / f"{task.id}.json"
        return task

    def list(self, *states: str) -> list[Task]:
        """Tasks in ``states`` (default all), each state in id (creation) order; unreadable files are skipped."""
        out: list[Task] = []
        for state in states or TASK_STATES:
            out.extend(task for task in map(self._load, self._files(state)) if task is not None)
        return out

    def get(self, task_id: str) -> Task | None:
        """The task with this id in whatever state it is, or ``None``."""
        for state in TASK_STATES:
            for path in self._files(state):
                if path.name.split("@", 1)[0].removesuffix(".json") == task_id:
                    return self._load(path)
        return None

    # -- moving --------------------------------------------------------------------------
    def claim(self, holder: str, *, task_id: str | None = None, pid: int | None = None) -> Task | None:
        """Claim ``task_id`` (or the oldest task ``holder`` may take) for ``holder``; ``None`` when none is left.

        ``pid`` is the holder's process, so a supervisor can tell when the holder
        died and put the task back (default: the calling process).
        """
        check_name(holder, what="task holder")
        for path in self._files("queued"):
            tid = path.name.removesuffix(".json")
            if task_id is not None and tid != task_id:
                continue
            task = self._load(path)
            if task is None or not addressed_to(task.to, holder) or task.resting():
                continue
            target = self.claimed / f"{tid}@{holder}.json"
            try:
                os.rename(path, target)
            except FileNotFoundError:
                continue  # another claimant won this one
            now = time.time()
            task.holder, task.holder_pid, task.claimed_at = holder, os.getpid() if pid is None else pid, now
            task.attempts += 1
            task.retry_at = None
            task.history.append({"event": "claimed", "holder": holder, "time": now})
            task.state, task.path = "claimed", target
            atomic_write_json(target, task._content(), indent=None)
            return task
        return None

    def complete(self, task_id: str, *, holder: str | None = None, result: Any = None) -> Task | None:
        """Move a claimed task to ``done/`` with ``result``; ``None`` when it is not (or no longer) claimed."""
        path = self._claimed_path(task_id, holder)
        task = self._load(path) if path is not None else None
        if task is None or path is None:
            return None
        task.result, task.done_at = result, time.time()
        task.history.append({"event": "done", "holder": task.holder, "time": task.done_at})
        atomic_write_json(path, task._content(), indent=None)
        target = self.done / f"{task.id}.json"
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None  # released meanwhile: the queue's copy is the live one
        task.state, task.path = "done", target
        return task

    def release(self, task_id: str, *, holder: str | None = None, reason: str = "",
                failed: bool = False) -> Task | None:
        """Put a claimed task back in the queue (its holder stopped, or gave it up).

        ``failed``: the holder failed it (an error, a crash, gone silent). The
        task then rests (``retry_at``) before it is handed out again, and after
        ``max_failures`` it moves to ``failed/`` instead (see the module doc).
        """
        path = self._claimed_path(task_id, holder)
        task = self._load(path) if path is not None else None
        if task is None or path is None:
            return None
        now = time.time()
        retries = self.retries
        if failed:
            task.failures += 1
        gives_up = failed and task.failures >= retries.max_failures
        event = {"event": "failed" if gives_up else "released", "holder": task.holder, "reason": reason,
                 "time": now}
        if failed and not gives_up:
            task.retry_at = now + retries.rest(task.failures)
            event["retry_at"] = task.retry_at
        task.history.append(event)
        task.holder = task.holder_pid = task.claimed_at = None
        if gives_up:
            task.failed_at = now
        atomic_write_json(path, task._content(), indent=None)
        target = (self.failed if gives_up else self.new) / f"{task.id}.json"
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        task.state, task.path = "failed" if gives_up else "queued", target
        return task

    def retry(self, task_id: str) -> Task | None:
        """Put a failed task back in the queue with its failures forgotten; ``None`` when it is not failed."""
        path = self.failed / f"{task_id}.json"
        task = self._load(path)
        if task is None:
            return None
        task.failures, task.retry_at, task.failed_at = 0, None, None
        task.history.append({"event": "retried", "time": time.time()})
        atomic_write_json(path, task._content(), indent=None)
        target = self.new / f"{task.id}.json"
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        task.state, task.path = "queued", target
        return task

    def cancel(self, task_id: str, *, by: str = "") -> Task | None:
        """Move a task that is not done (queued, claimed or failed) to ``done/`` as cancelled; ``None`` when
        there is no such task. A holder that completes or releases it afterwards finds it no longer held."""
        for state in ("queued", "claimed", "failed"):
            for path in self._files(state):
                if path.name.split("@", 1)[0].removesuffix(".json") != task_id:
                    continue
                task = self._load(path)
                if task is None:
                    return None
                now = time.time()
                task.history.append({"event": "cancelled", "by": by, "holder": task.holder, "time": now})
                task.result, task.done_at = {"outcome": "cancelled"}, now
                atomic_write_json(path, task._content(), indent=None)
                target = self.done / f"{task.id}.json"
                try:
                    os.rename(path, target)
                except FileNotFoundError:
                    continue  # it moved meanwhile: look again where it went
                task.state, task.path = "done", target
                return task
        return None

    # -- internals -----------------------------------------------------------------------
    def _claimed_path(self, task_id: str, holder: str | None) -> Path | None:
        for path in self._files("claimed"):
            tid, _, who = path.name.removesuffix(".json").partition("@")
            if tid == task_id and (holder is None or who == holder):
                return path
        return None

    def _files(self, state: str) -> Iterator[Path]:
        if state not in _DIRS:
            raise UsageError(f"unknown task state {state!r}", hint="use one of " + ", ".join(TASK_STATES))
        directory = self.root / _DIRS[state]
        try:
            names = sorted(os.listdir(directory))
        except FileNotFoundError:
            return
        for name in names:
            if name.endswith(".json") and not name.startswith("."):
                yield directory / name

    def _load(self, path: Path) -> Task | None:
        state = _STATE_OF_DIR[path.parent.name]
        try:
            with open(path, "rb") as handle:
                data = loads_json(handle.read())
        except OSError:
            return None  # gone meanwhile (claimed, completed)
        except ValueError as exc:
            self._set_aside(path, str(exc))
            return None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("text"), str):
            self._set_aside(path, "not a task (a JSON object with an id and a text)")
            return None
        known = {k: v for k, v in typed(data, _FIELDS).items()
                 if k in Task.__dataclass_fields__ and k not in ("state", "path") and v is not None}
        known["history"] = objects(known.get("history"))
        task = Task(**known)
        task.state, task.path = state, path
        if state == "claimed":
            task.holder = path.name.removesuffix(".json").partition("@")[2] or task.holder
        return task

    def _set_aside(self, path: Path, why: str) -> None:
        """Move a damaged task file to ``.kin/quarantine/tasks/`` (beside a ``.why.json``) and say it once."""
        target = self.workspace.state_dir("quarantine", "tasks") / f"{path.parent.name}-{path.name}"
        try:
            os.replace(path, target)
        except OSError:
            return  # gone meanwhile, or the disk refuses: it is tried again at the next reading
        with contextlib.suppress(OSError):
            atomic_write_json(target.with_name(target.name.removesuffix(".json") + ".why.json"),
                              {"schema": 1, "name": path.name, "state": path.parent.name, "error": why[:2000],
                               "set_aside_at": time.time()}, indent=None)
        self.damaged.append((path, target, why))
        if logging.getLogger().handlers:  # a daemon's log; a command says it itself (see damaged)
            log.warning("damaged task file %s moved to %s (%s)", path, target, why)
