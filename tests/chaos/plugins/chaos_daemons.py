"""Daemons that misbehave against their supervisor: flood their output, escape by double-forking, and one that
records every message it handles (and chokes on poison ones in every way a handler can)."""
import os
import subprocess
import sys
import time

from shadeos_core import CycleResult, Daemon, hookimpl


class Flooder(Daemon):
    """Writes ``mb`` MiB to its stdout each cycle, without end."""

    OPTIONS = {"mb": int}

    def cycle(self, injections):
        line = b"flood " * 170 + b"\n"  # about 1 KiB
        for _ in range(self.options.get("mb", 4) * 1024):
            os.write(1, line)
        return CycleResult(task="flooding")


class Escaper(Daemon):
    """Starts a grandchild that daemonises (fork, setsid, fork again) and records its pid in ``escaped.pid``."""

    OPTIONS = {"pidfile": str}

    def setup(self):
        code = ("import os, sys, time\n"
                "if os.fork(): sys.exit(0)\n"
                "os.setsid()\n"
                "if os.fork(): sys.exit(0)\n"
                f"open({self.options.get('pidfile', 'escaped.pid')!r}, 'a').write(str(os.getpid()) + '\\n')\n"
                "time.sleep(3600)\n")
        subprocess.run([sys.executable, "-c", code], cwd=self.workspace.root, check=True)

    def cycle(self, injections):
        time.sleep(0)
        return CycleResult(task="escaped one")


class Recorder(Daemon):
    """Appends the ``id`` of every message it handles to ``handled/<name>`` (before the message is acknowledged).

    A body ``{"poison": how}`` makes the handler fail: ``exit`` (``sys.exit``), ``interrupt``
    (``KeyboardInterrupt``), ``recursion`` (``RecursionError``), ``die`` (``os._exit``: the process dies on it).
    """

    OPTIONS = None

    def cycle(self, injections):
        for injection in injections:
            if injection.type != "message":
                continue
            body = injection.content.body if isinstance(injection.content.body, dict) else {}
            how = body.get("poison")
            if how == "exit":
                sys.exit(3)
            if how == "interrupt":
                raise KeyboardInterrupt
            if how == "recursion":
                def deeper(n):
                    return deeper(n + 1) + 1
                deeper(0)
            if how == "die":
                os._exit(9)
            directory = os.path.join(self.workspace.root, "handled")
            os.makedirs(directory, exist_ok=True)
            fd = os.open(os.path.join(directory, self.name), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(fd, f"{body.get('id')}\n".encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        return CycleResult(task="recording")


@hookimpl
def register_daemons(register):
    register("recorder", Recorder)
    register("flooder", Flooder)
    register("escaper", Escaper)
