"""The local stand-in of a remote run: ``python -m shadeos_ray.proxy --job FILE``.

The ``ray`` mode starts this process like any background process, so whoever
started it (the orchestrator, ``kin exec``) polls, signals and kills a local
pid as usual. The proxy connects to the cluster, places a
:class:`~shadeos_ray.host.CommandHost` actor there (the resources the job
asks for), starts the command through it, and copies its output to its own
stdout and stderr (the ``.kin/logs/`` files of the run). Its exit code is the
command's (``128 + N`` for signal N).

- SIGTERM or SIGINT: the remote tree gets SIGTERM, ``[ray] stop_grace``,
  then SIGKILL; the proxy exits with the command's code.
- SIGKILL: this process is the actor's owner, so Ray kills the actor, and
  the command dies with the actor's worker (``PR_SET_PDEATHSIG``).
- The actor or its node dies: one line on stderr and exit code
  :data:`EXIT_LOST`, a crash for a supervisor.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from shadeos_core.errors import KinError
from shadeos_core.execution import remove_place, write_place
from shadeos_core.workspace import Workspace

from .host import NOT_VISIBLE
from .job import Job, read_job
from .settings import ray_options

__all__ = ["main", "EXIT_LOST", "EXIT_CONFIG"]

#: The remote worker or its node died under the command.
EXIT_LOST = 1
#: The run could not start: no cluster, no node with the resources asked, a node that cannot see the workspace.
EXIT_CONFIG = 2
_READ_WAIT = 0.2
#: Seconds without an answer from the actor before the run is given up as lost.
_SILENT_LIMIT = 60.0


class _Stop:
    requested = False

    def __call__(self, _signum: int, _frame: Any) -> None:
        self.requested = True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shadeos_ray.proxy", description=__doc__)
    parser.add_argument("--job", required=True)
    parser.add_argument("command", nargs="*", help="the command, for people reading the process list")
    args = parser.parse_args(argv)
    parent = os.environ.get("KIN_PARENT_PID", "")
    if parent.isdigit():  # started by an orchestrator: its death is a stop, graceful for the remote side too
        from shadeos_core.lifeline import die_with_parent

        die_with_parent(signal.SIGTERM, parent_pid=int(parent))
    stop = _Stop()
    # Until the remote command starts there is nothing to stop gracefully, and connecting blocks where a
    # Python signal handler cannot run: a signal ends this process at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        job = read_job(args.job)
        return _run(job, args.job, stop)
    except KinError as exc:
        _say(f"kin: error: {exc}")
        return EXIT_CONFIG
    finally:
        with contextlib.suppress(OSError):
            os.unlink(args.job)


def _run(job: Job, job_path: str, stop: _Stop) -> int:
    from .connect import connect
    from .host import CommandHost

    with _deadline(job.settings.connect_timeout, f"cannot reach the Ray cluster at {job.settings.address!r} within "
                   f"{job.settings.connect_timeout:g}s (start it with ray start --head, or fix [ray] address in kin.toml)"):
        ray = connect(job.settings)
    options = {**ray_options(job.settings.resources, where="[ray] resources"),
               **ray_options(job.resources, where=f"resources of {job.name or job.argv[0]}")}
    if job.settings.runtime_env:
        options["runtime_env"] = job.settings.runtime_env
    host = ray.remote(CommandHost).options(max_concurrency=4, max_restarts=0, **options).remote()
    workspace = Workspace(job.workspace)
    try:
        try:
            place = ray.get(host.start.remote(job.argv, job.cwd, job.env, job_path),
                            timeout=job.settings.connect_timeout)
        except ray.exceptions.GetTimeoutError:
            raise KinError(f"no node of the cluster took {job.name or job.argv[0]!r} within "
                           f"{job.settings.connect_timeout:g}s: none has the resources asked "
                           f"({_shown(job.resources or job.settings.resources)}) free",
                           hint="see ray status; ask for fewer resources or add a node that has them") from None
        where = f"node {place['node_ip']} {place['node'][:8]}, actor {place['actor_id'][:8]}"
        if place.get("error") == NOT_VISIBLE:
            raise KinError(f"node {place['node_ip']} ({place['hostname']}) cannot see the workspace {job.workspace}",
                           hint="mount the same shared file system at the same path on every node (docs/plugins/ray.md)")
        if place.get("error"):
            raise KinError(f"cannot start {job.argv[0]!r} on node {place['node_ip']}: {place['error']}",
                           hint="check that it is installed on every node, at the same path")
        write_place(workspace, os.getpid(), "ray", where, **{k: v for k, v in place.items() if k != "error"})
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            return _follow(ray, host, job, stop)
        finally:
            remove_place(workspace, os.getpid())
    except KinError:
        with contextlib.suppress(Exception):
            ray.kill(host)
        raise


@contextlib.contextmanager
def _deadline(seconds: float, message: str) -> Iterator[None]:
    """Exit with :data:`EXIT_CONFIG` and ``message`` if the block lasts longer than ``seconds`` (Ray's connect
    retries for long, and blocks where no exception can reach it)."""
    import threading

    def expire() -> None:
        _say(f"kin: error: {message}")
        os._exit(EXIT_CONFIG)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _follow(ray: Any, host: Any, job: Job, stop: _Stop) -> int:
    """Copy the remote output here until the command ends; stop it when asked to. Its exit code."""
    stopping = False
    silent = 0.0
    while True:
        if stop.requested and not stopping:
            stopping = True
            host.stop.remote(job.settings.stop_grace)
        try:
            out, err, code = ray.get(host.read.remote(_READ_WAIT), timeout=_READ_WAIT + 5.0)
        except ray.exceptions.GetTimeoutError:
            silent += _READ_WAIT + 5.0
            if silent < _SILENT_LIMIT:
                continue
            _say(f"kin: no answer from the node running {job.name or job.argv[0]} for {silent:.0f}s: given up as lost")
            return EXIT_LOST
        except ray.exceptions.RayActorError as exc:
            _say(f"kin: the Ray worker running {job.name or job.argv[0]} died: {_first_line(exc)}")
            return EXIT_LOST
        silent = 0.0
        if out:
            sys.stdout.buffer.write(out)
            sys.stdout.flush()
        if err:
            sys.stderr.buffer.write(err)
            sys.stderr.flush()
        if code is not None:
            return int(code) if code >= 0 else 128 - int(code)


def _first_line(exc: BaseException) -> str:
    for line in str(exc).splitlines():
        if "died" in line or "dead" in line or "killed" in line:
            return line.strip()[:300]
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _shown(resources: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in resources.items()) or "none"


def _say(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
