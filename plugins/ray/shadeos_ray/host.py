"""What runs on a node of the cluster: :class:`CommandHost`, the actor that holds one remote command.

The actor starts the command as a process of its node, in a session of its
own, tied to the actor's worker (``PR_SET_PDEATHSIG``: when Ray kills the
worker, because its owner died or the actor was killed, the command dies with
it). It keeps the output until the proxy reads it, and on :meth:`stop` ends
the whole tree: SIGTERM, a grace, then SIGKILL.

Plain Python: the proxy wraps it with ``ray.remote``, so importing this module needs no Ray.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["CommandHost", "run_to_end", "NOT_VISIBLE", "OUTPUT_CAP"]

#: What :meth:`CommandHost.start` answers in ``error`` when the node cannot see the workspace.
NOT_VISIBLE = "workspace-not-visible"
#: Bytes of output kept per stream while the proxy does not read (older output is dropped beyond this).
OUTPUT_CAP = 8 * 2**20


class CommandHost:
    """One command on the node this actor was placed on."""

    def __init__(self) -> None:
        self.popen: subprocess.Popen[bytes] | None = None
        self.cond = threading.Condition()
        self.buffers = {"stdout": bytearray(), "stderr": bytearray()}
        self.pumps: list[threading.Thread] = []
        self.returncode: int | None = None
        self.dropped = 0

    # -- start ---------------------------------------------------------------------------
    def start(self, argv: Sequence[str], cwd: str, env: Mapping[str, str], marker: str) -> dict[str, Any]:
        """Start ``argv`` in ``cwd``; where it runs, or ``{"error": …}`` when this node cannot see the workspace.

        ``marker`` is a file the proxy wrote in the workspace just before: a
        node that does not see it works on some other directory (not the same
        shared file system), and nothing is started there.
        """
        place = self._place()
        if not os.path.isdir(cwd) or not os.path.exists(marker):
            return {**place, "error": NOT_VISIBLE}
        full = {**os.environ, **env, "KIN_RAY_NODE_ID": place["node"], "KIN_RAY_ACTOR_ID": place["actor_id"]}
        if "KIN_PARENT_PID" in env:
            full["KIN_PARENT_PID"] = str(os.getpid())  # a daemon runner watches its real parent: this worker
        started = threading.Event()
        failure: list[BaseException] = []
        # The process is forked from a thread that lives as long as it does: PR_SET_PDEATHSIG fires when the
        # forking *thread* ends, and Ray's method threads are not ours to keep.
        life = threading.Thread(target=self._live, args=(list(argv), cwd, full, started, failure), daemon=True,
                                name="kin-ray-command")
        life.start()
        started.wait()
        if failure:
            return {**place, "error": f"{type(failure[0]).__name__}: {failure[0]}"}
        assert self.popen is not None
        return {**place, "remote_pid": self.popen.pid}

    def _live(self, argv: list[str], cwd: str, env: dict[str, str], started: threading.Event,
              failure: list[BaseException]) -> None:
        from shadeos_core.lifeline import die_with_parent, prepare

        prepare()
        _unblock_signals()
        worker = os.getpid()
        try:
            self.popen = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, start_new_session=True,
                                          preexec_fn=lambda: die_with_parent(signal.SIGKILL, parent_pid=worker))
        except OSError as exc:
            failure.append(exc)
            started.set()
            return
        for stream, pipe in (("stdout", self.popen.stdout), ("stderr", self.popen.stderr)):
            pump = threading.Thread(target=self._pump, args=(stream, pipe), daemon=True, name=f"kin-ray-{stream}")
            pump.start()
            self.pumps.append(pump)
        started.set()
        code = self.popen.wait()
        for pump in self.pumps:
            pump.join()
        with self.cond:
            self.returncode = code
            self.cond.notify_all()

    def _pump(self, stream: str, pipe: Any) -> None:
        with contextlib.suppress(OSError, ValueError):
            for chunk in iter(lambda: os.read(pipe.fileno(), 65536), b""):
                with self.cond:
                    buffer = self.buffers[stream]
                    buffer.extend(chunk)
                    if len(buffer) > OUTPUT_CAP:
                        self.dropped += len(buffer) - OUTPUT_CAP
                        del buffer[: len(buffer) - OUTPUT_CAP]
                    self.cond.notify_all()
        with contextlib.suppress(OSError):
            pipe.close()

    @staticmethod
    def _place() -> dict[str, Any]:
        import ray

        context = ray.get_runtime_context()
        actor = context.get_actor_id() or ""
        util: Any = ray.util  # untyped in Ray
        return {"node": context.get_node_id(), "node_ip": util.get_node_ip_address(),
                "hostname": socket.gethostname(), "actor_id": actor, "worker_pid": os.getpid()}

    # -- read ----------------------------------------------------------------------------
    def read(self, wait: float) -> tuple[bytes, bytes, int | None]:
        """Output since the last read (waiting up to ``wait`` for some), and the exit code once all is read."""
        deadline = time.monotonic() + wait
        with self.cond:
            while not any(self.buffers.values()) and self.returncode is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            out, err = bytes(self.buffers["stdout"]), bytes(self.buffers["stderr"])
            self.buffers["stdout"].clear()
            self.buffers["stderr"].clear()
            return out, err, self.returncode

    # -- stop ----------------------------------------------------------------------------
    def stop(self, grace: float) -> int | None:
        """End the command's whole tree: SIGTERM, ``grace`` seconds, SIGKILL; its exit code."""
        popen = self.popen
        if popen is None:
            return None
        tree = _tree(popen.pid)
        _signal_all(popen.pid, tree, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and (popen.poll() is None or _alive(tree)):
            time.sleep(0.02)
        if popen.poll() is None or _alive(tree):
            _signal_all(popen.pid, _tree(popen.pid) | tree, signal.SIGKILL)
        with self.cond:
            self.cond.wait_for(lambda: self.returncode is not None, timeout=grace + 5.0)
            return self.returncode

    def __del__(self) -> None:
        # the actor is going away while its command runs (ray.kill, its owner gone): nothing stays behind
        popen = getattr(self, "popen", None)
        if popen is not None and popen.poll() is None:
            _signal_all(popen.pid, _tree(popen.pid), signal.SIGKILL)


def _unblock_signals() -> None:
    """Give this thread, so the processes it forks, an empty signal mask: Ray's threads block SIGTERM and
    SIGINT, and a child inherits the mask of the thread that forked it (it would ignore a graceful stop)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _tree(pid: int) -> set[Any]:
    import psutil

    try:
        return set(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return set()


def _alive(procs: set[Any]) -> bool:
    import psutil

    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                return True
        except psutil.Error:
            continue
    return False


def _signal_all(pid: int, tree: set[Any], sig: signal.Signals) -> None:
    import psutil

    with contextlib.suppress(OSError):
        os.killpg(pid, sig)
    for proc in tree:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)


def run_to_end(argv: Sequence[str], cwd: str | None, timeout: float | None) -> tuple[int, str, str, str]:
    """Run a short command on this node to its end (a Ray task's body): exit code, stdout, stderr, node id.

    The command gets its own session and dies with the worker; on ``timeout``
    its group is killed and the exit code is 124.
    """
    import ray

    from shadeos_core.lifeline import die_with_parent, prepare

    prepare()
    worker = os.getpid()

    def preexec() -> None:
        _unblock_signals()  # in the child only: this task's thread is Ray's
        die_with_parent(signal.SIGKILL, parent_pid=worker)

    popen = subprocess.Popen(list(argv), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True, preexec_fn=preexec)
    try:
        out, err = popen.communicate(timeout=timeout)
        code = popen.returncode
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(popen.pid, signal.SIGKILL)
        out, err = popen.communicate()
        code = 124
    node = ray.get_runtime_context().get_node_id()
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), node
