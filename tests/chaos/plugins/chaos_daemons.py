"""Daemons that misbehave against their supervisor: flood their output, escape by double-forking."""
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


@hookimpl
def register_daemons(register):
    register("flooder", Flooder)
    register("escaper", Escaper)
