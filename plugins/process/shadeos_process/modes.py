"""The four execution modes: ``blocking``, ``background``, ``interactive`` and ``monitored``.

Each subclasses the core's :class:`shadeos_core.ExecutionMode` and is
registered under its name, so ``kernel.execution_modes["background"](workspace)``
gives a mode whose ``run(CommandSpec(...))`` starts a child, ``poll(pid)``
reads its exit code and ``stop(pid)`` stops its whole tree.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from shadeos_core.execution import CommandSpec, ExecutionResult
from shadeos_core.execution import ExecutionMode as ModeBase
from shadeos_core.workspace import Workspace, check_name

from . import managed
from .managed import ManagedProcess
from .records import ProcessRecord, create_time, read_records, remove_record, write_record
from .spawn import safe_name, spawn
from .termination import kill_process_tree

if TYPE_CHECKING:
    from .collect import Collector

__all__ = ["ProcessMode", "BlockingMode", "BackgroundMode", "InteractiveMode", "MonitoredMode", "MODES",
           "UNKNOWN_EXIT", "DEFAULT_GRACE"]

#: What ``poll``/``stop`` report for a process started elsewhere that ended without leaving its exit code.
UNKNOWN_EXIT = 255
#: Seconds a timed-out tree gets between SIGTERM and SIGKILL.
DEFAULT_GRACE = 5.0


class ProcessMode(ModeBase):
    """What the four modes share: the workspace, records, ``poll`` and ``stop``."""

    name: ClassVar[str] = ""
    #: Whether children also get PR_SET_PDEATHSIG (see :func:`shadeos_process.spawn.spawn`): free beside
    #: a long-lived process, the whole cost of a short blocking one.
    pdeathsig: ClassVar[bool] = True

    def __init__(self, workspace: Workspace | None = None, *, grace: float = DEFAULT_GRACE) -> None:
        super().__init__(workspace)
        self.grace = grace

    def _workspace(self, spec: CommandSpec) -> Workspace:
        if self.workspace is None:
            self.workspace = Workspace.find(spec.cwd)
        return self.workspace

    def _start(self, spec: CommandSpec, *, stdin: Any, stdout: Any, stderr: Any,
               name: str | None = None, logs: tuple[Path | None, Path | None] = (None, None),
               record: bool = True) -> ManagedProcess:
        """Spawn and register the process; with ``record`` also write its record under ``.kin/run/``."""
        workspace = self._workspace(spec)
        argv = [str(a) for a in spec.argv]
        popen = spawn(argv, cwd=spec.cwd, env=spec.env, stdin=stdin, stdout=stdout, stderr=stderr,
                      pdeathsig=self.pdeathsig)
        name = name or (check_name(spec.name, what="process name") if spec.name else safe_name(argv[0], popen.pid))
        entry = ManagedProcess(popen, mode=self.name, name=name, argv=argv, workspace=workspace, record=None)
        managed.add(entry)
        if record:
            self._write_record(entry, spec, logs)
        return entry

    def _write_record(self, entry: ManagedProcess, spec: CommandSpec,
                      logs: tuple[Path | None, Path | None] = (None, None)) -> None:
        record = ProcessRecord(pid=entry.pid, create_time=create_time(entry.pid), name=entry.name,
                               command=entry.argv, mode=self.name, owner=spec.owner or "",
                               cwd=str(Path(spec.cwd or ".").resolve()), parent_create_time=_own_create_time(),
                               stdout_log=str(logs[0]) if logs[0] else None,
                               stderr_log=str(logs[1]) if logs[1] else None)
        entry.record = record
        try:
            write_record(entry.workspace, record)  # type: ignore[arg-type]
        except BaseException:
            kill_process_tree(entry.pid, timeout=0)
            managed.forget(entry.pid)
            raise

    def _arm_timeout(self, entry: ManagedProcess, timeout: float | None) -> None:
        if timeout is None:
            return

        def expire() -> None:
            if entry.done.is_set():
                return
            entry.result.timed_out = True
            kill_process_tree(entry.pid, timeout=self.grace)

        entry.timer = threading.Timer(timeout, expire)
        entry.timer.daemon = True
        entry.timer.start()

    # -- the interface supervisors use ------------------------------------------------------
    def poll(self, pid: int) -> int | None:
        """Exit code of ``pid``, ``None`` while it runs.

        A child of this process is reaped here (no zombie stays). A process
        started by another ``kin`` process is looked up by its record: its
        recorded exit code, or :data:`UNKNOWN_EXIT` once it is gone.
        """
        entry = managed.lookup(pid)
        if entry is not None:
            return entry.popen.poll()
        record = self._record(pid)
        if record is not None:
            if record.alive():
                return None
            return record.returncode if record.returncode is not None else UNKNOWN_EXIT
        from .records import is_running

        return None if is_running(pid, 0.0) else UNKNOWN_EXIT

    def stop(self, pid: int, *, timeout: float = 10.0) -> int | None:
        """SIGTERM to the whole tree, wait ``timeout``, SIGKILL survivors; the exit code (``None`` if it survived)."""
        report = kill_process_tree(pid, timeout=timeout)
        if report.survivors and pid in report.survivors:
            return None
        if report.returncode is not None:
            return report.returncode
        return self.poll(pid)

    def _record(self, pid: int) -> ProcessRecord | None:
        if self.workspace is None:
            return None
        for _path, record in read_records(self.workspace):
            if isinstance(record, ProcessRecord) and record.pid == pid:
                return record
        return None


_OWN_CREATE_TIME: dict[int, float] = {}


def _own_create_time() -> float:
    pid = os.getpid()  # keyed by pid: a forked child must not reuse its parent's value
    if pid not in _OWN_CREATE_TIME:
        _OWN_CREATE_TIME[pid] = create_time(pid)
    return _OWN_CREATE_TIME[pid]


class BlockingMode(ProcessMode):
    """Run to the end and return the finished result (stdout/stderr captured unless ``capture=False``)."""

    name = "blocking"
    pdeathsig = False
    #: Seconds a blocking command may run before it is recorded under ``.kin/run/processes/``.
    RECORD_AFTER = 0.05

    def _collect(self, entry: ManagedProcess, spec: CommandSpec, collector: Collector) -> bool:
        """Read to the end within the timeout (False if it expires), writing the record once past ``RECORD_AFTER``."""
        first = self.RECORD_AFTER if spec.timeout is None else min(self.RECORD_AFTER, spec.timeout)
        if collector.run(first):
            return True
        if spec.timeout is not None and spec.timeout <= self.RECORD_AFTER:
            return False
        self._write_record(entry, spec)
        remaining = None if spec.timeout is None else max(0.0, spec.timeout - (time.perf_counter() - entry.started))
        return collector.run(remaining)

    def run(self, spec: CommandSpec, **callbacks: Any) -> ExecutionResult:
        pipe = subprocess.PIPE if spec.capture else None
        # A command that ends within RECORD_AFTER is never recorded: no other kin process could have
        # acted on it, and the record's write and removal would cost more than running `true`.
        entry = self._start(spec, stdin=subprocess.DEVNULL, stdout=pipe, stderr=pipe, record=False)
        popen, result = entry.popen, entry.result
        from . import guard  # here, not at the top: kin --help imports this module
        from .collect import Collector

        collector = Collector(popen)
        try:
            if not self._collect(entry, spec, collector):
                result.timed_out = True
                kill_process_tree(popen.pid, timeout=self.grace)
                if not collector.run(self.grace):
                    # Something outside the tree holds the pipes: give up on the rest of the output.
                    collector.close()
                    popen.wait()
        except BaseException:
            kill_process_tree(popen.pid, timeout=self.grace)
            raise
        finally:
            collector.close()
            managed.forget(popen.pid)
            if popen.returncode is not None:
                guard.release(popen.pid)
            if entry.record is not None:
                remove_record(entry.workspace, popen.pid)  # type: ignore[arg-type]
        out, err = collector.output()
        result.returncode = popen.returncode
        result.duration = time.perf_counter() - entry.started
        result.stdout = (out or b"").decode("utf-8", "replace")
        result.stderr = (err or b"").decode("utf-8", "replace")
        if collector.dropped:
            result.extra["dropped_bytes"] = collector.dropped  # a flood: only the newest output was kept
        entry.done.set()
        on_complete = callbacks.get("on_complete")
        if on_complete is not None:
            on_complete(result)
        return result


class BackgroundMode(ProcessMode):
    """Return at once with the pid; stdout and stderr go to ``.kin/logs/<name>.out`` and ``.err``.

    ``name`` defaults to ``<program>-<pid>``; a given name appends to its logs
    (a restarted daemon keeps one log). The result is filled in when the
    process ends; ``poll``/``stop`` act on it meanwhile.
    """

    name = "background"

    def run(self, spec: CommandSpec, **callbacks: Any) -> ExecutionResult:
        workspace = self._workspace(spec)
        logs = workspace.state_dir("logs")
        if not spec.capture:
            entry = self._start(spec, stdin=subprocess.DEVNULL, stdout=None, stderr=None)
            return self._watch(entry, spec, callbacks)
        if spec.name:
            name = check_name(spec.name, what="process name")
            out_path, err_path = logs / f"{name}.out", logs / f"{name}.err"
        else:
            # The default name holds the pid, known only after the start: open under a
            # temporary name and rename (the child's descriptors follow the rename).
            token = f".pending-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}"
            out_path, err_path = logs / f"{token}.out", logs / f"{token}.err"
            name = None
        out_file: IO[bytes] = open(out_path, "ab")
        err_file: IO[bytes] = open(err_path, "ab")
        try:
            if name is None:
                try:
                    entry = self._start(spec, stdin=subprocess.DEVNULL, stdout=out_file, stderr=err_file,
                                        name="pending", logs=(out_path, err_path))
                except BaseException:
                    for path in (out_path, err_path):
                        with contextlib.suppress(OSError):
                            path.unlink()
                    raise
                final = safe_name(entry.argv[0], entry.pid)
                final_out, final_err = logs / f"{final}.out", logs / f"{final}.err"
                os.replace(out_path, final_out)
                os.replace(err_path, final_err)
                entry.name = final
                assert entry.record is not None
                entry.record.name = final
                entry.record.stdout_log, entry.record.stderr_log = str(final_out), str(final_err)
                write_record(workspace, entry.record)
            else:
                entry = self._start(spec, stdin=subprocess.DEVNULL, stdout=out_file, stderr=err_file,
                                    name=name, logs=(out_path, err_path))
        finally:
            out_file.close()
            err_file.close()
        entry.result.extra.update(name=entry.name, stdout_log=entry.record.stdout_log if entry.record else None,
                                  stderr_log=entry.record.stderr_log if entry.record else None)
        return self._watch(entry, spec, callbacks)

    def _watch(self, entry: ManagedProcess, spec: CommandSpec, callbacks: dict[str, Any]) -> ExecutionResult:
        entry.on_complete = callbacks.get("on_complete")
        self._arm_timeout(entry, spec.timeout)
        entry.watch()
        return entry.result


class _PipedMode(ProcessMode):
    """Return at once; reader threads hand each line to the callbacks, ``on_complete`` fires once at the end."""

    stdin: ClassVar[int] = subprocess.DEVNULL

    def run(self, spec: CommandSpec, **callbacks: Any) -> ExecutionResult:
        entry = self._start(spec, stdin=self.stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        entry.keep_output = spec.capture
        entry.on_complete = callbacks.get("on_complete")
        entry.pump(entry.popen.stdout, "stdout", callbacks.get("on_output"))  # type: ignore[arg-type]
        entry.pump(entry.popen.stderr, "stderr", callbacks.get("on_error"))  # type: ignore[arg-type]
        self._arm_timeout(entry, spec.timeout)
        entry.watch()
        return entry.result


class InteractiveMode(_PipedMode):
    """Keep stdin open: write with ``communicate_with_process``, read answers with ``read_until``."""

    name = "interactive"
    stdin = subprocess.PIPE


class MonitoredMode(_PipedMode):
    """Return at once; ``on_output(line)``/``on_error(line)`` fire from reader threads, ``on_complete(result)`` once.

    Lines are passed without their line ending, in the order the child wrote
    them on each stream; ``on_complete`` comes after the last line of both.
    """

    name = "monitored"


MODES: dict[str, type[ProcessMode]] = {cls.name: cls for cls in (BlockingMode, BackgroundMode, InteractiveMode,
                                                                  MonitoredMode)}
