"""Core figures: ``kin --help`` start-up, a message round trip between two running daemons, luciorbe updates.

Baselines, measured in the same run and alternated with the figure: ``python -c
pass``; a round trip over raw pipes between two processes; a raw write + rename
of the same JSON.

The round trip runs between two daemons hosted by the real runner
(``python -m shadeos_core.runner``): ``ping`` sends to ``pong`` with
``Daemon.send``, ``pong``'s runner wakes, hands the message to its cycle, which
answers with ``Daemon.send``; ``ping`` takes the time when the answer reaches its
own cycle, and sends the next one, 2 ms later (the pipe's round trips are paced
alike; back-to-back figures are printed too). Every hop is the whole path: maildir write and
rename, the receiver's wake-up, claim, cycle, acknowledgement, luciorbe update.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from common import Paired, alternate, interleave, interleave_batches, report

# A plugin module for the daemons' processes (loaded through KIN_PLUGINS).
PLUGIN = textwrap.dedent("""
    import time
    from shadeos_core import Daemon, Mailbox, hookimpl

    class Pong(Daemon):
        def cycle(self, injections):
            for injection in injections:
                if injection.type == "message":
                    self.send(injection.content.sender, injection.content.body)

    class Ping(Daemon):
        def setup(self):
            self.left, self.lat, self.driver, self.gap = 0, [], "", 0.0

        def _ping(self):
            if self.gap:
                time.sleep(self.gap)
            self.send("pong", {"t": time.perf_counter_ns()})

        def cycle(self, injections):
            for injection in injections:
                if injection.type != "message":
                    continue
                body = injection.content.body
                if "go" in body:
                    self.left, self.lat, self.driver = body["go"], [], injection.content.sender
                    self.gap = body["gap"]
                    self._ping()
                elif "t" in body and self.left:
                    self.lat.append(time.perf_counter_ns() - body["t"])
                    self.left -= 1
                    if self.left:
                        self._ping()
                    else:
                        Mailbox.send(self.workspace, self.driver, {"lat": self.lat}, sender=self.daemon_id)

    @hookimpl
    def register_daemons(register):
        register("bench-ping", Ping)
        register("bench-pong", Pong)
""")

TEAM = textwrap.dedent("""
    [team]
    name = "bench"

    [daemons.ping]
    type = "bench-ping"
    on_message = true

    [daemons.pong]
    type = "bench-pong"
    on_message = true
""")

#: Seconds between two round trips: daemons wait idle between messages, and so does the pipe's echo process (a
#: hot loop with no pause measures warm caches and busy CPUs, not a wake-up).
GAP = 0.002

# The baseline's other process: echo each message back, as small reads and writes on raw pipes.
ECHO = "import os\nwhile True:\n    data = os.read(0, 64)\n    if not data:\n        break\n    os.write(1, data)\n"


class DaemonPair:
    """``ping`` and ``pong`` of team ``bench``, each in its own runner process, in a fresh workspace."""

    def __init__(self, root: Path) -> None:
        from shadeos_core import Mailbox, Workspace
        from shadeos_core.runner import runner_argv

        (root / "teams").mkdir(parents=True)
        (root / "kin.toml").write_text("")
        (root / "teams" / "bench.toml").write_text(TEAM)
        (root / "kinbench_ping.py").write_text(PLUGIN)
        env = {**os.environ, "KIN_PLUGINS": "kinbench_ping",
               "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
        self.procs = [subprocess.Popen(runner_argv("bench", name, cwd=str(root)), cwd=root, env=env)
                      for name in ("ping", "pong")]
        self.workspace = Workspace(root)
        self.inbox = Mailbox(self.workspace, "bench.driver")

    def round_trips(self, n: int, gap: float = 0.0) -> list[float]:
        """``n`` round trips ping → pong → ping, ``gap`` seconds apart, in seconds, as ``ping`` timed them."""
        from shadeos_core import Mailbox

        Mailbox.send(self.workspace, "bench.ping", {"go": n, "gap": gap}, sender="bench.driver")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            self.inbox.wait(1.0)
            for message in self.inbox.receive():
                self.inbox.ack(message)
                return [ns / 1e9 for ns in message.body["lat"]]
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"a daemon exited with {proc.returncode}")
        raise TimeoutError("no answer from the ping daemon")

    def close(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=30)


class PipePair:
    """The baseline: this process and an echo process, connected by two raw pipes."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", ECHO], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     bufsize=0)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.w, self.r = self.proc.stdin.fileno(), self.proc.stdout.fileno()

    def round_trips(self, n: int, gap: float = 0.0) -> list[float]:
        out = []
        for _ in range(n):
            if gap:
                time.sleep(gap)
            start = time.perf_counter_ns()
            os.write(self.w, b"%d\n" % start)
            os.read(self.r, 64)
            out.append((time.perf_counter_ns() - start) / 1e9)
        return out

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# The bare mechanism under the mailbox: a file written to tmp/, renamed into new/, seen through inotify,
# claimed by a rename, read, deleted; no kin code on the way. Answers go back the same way.
MAILDIR_ECHO = textwrap.dedent("""
    import os, sys
    from shadeos_core.inotify import DirectoryWaiter
    inbox, outbox = sys.argv[1], sys.argv[2]
    with DirectoryWaiter(os.path.join(inbox, "new")) as waiter:
        print("ready", flush=True)
        while True:
            names = sorted(os.listdir(os.path.join(inbox, "new")))
            if not names:
                waiter.wait(None)
                continue
            for name in names:
                claimed = os.path.join(inbox, "cur", name)
                os.rename(os.path.join(inbox, "new", name), claimed)
                with open(claimed, "rb") as handle:
                    data = handle.read()
                if data == b"stop":
                    sys.exit(0)
                tmp = os.path.join(outbox, "tmp", name)
                with open(tmp, "wb") as handle:
                    handle.write(data)
                os.rename(tmp, os.path.join(outbox, "new", name))
                os.unlink(claimed)
""")


class MaildirPair:
    """A second baseline: two processes exchanging maildir files with no kin code in between."""

    def __init__(self, root: Path) -> None:
        from shadeos_core.inotify import DirectoryWaiter

        self.boxes = [root / "a", root / "b"]
        for box in self.boxes:
            for part in ("tmp", "new", "cur"):
                (box / part).mkdir(parents=True)
        self.proc = subprocess.Popen([sys.executable, "-c", MAILDIR_ECHO, str(self.boxes[0]), str(self.boxes[1])],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"
        self.waiter = DirectoryWaiter(self.boxes[1] / "new").__enter__()
        self.seq = 0

    def _send(self, data: bytes) -> None:
        self.seq += 1
        name = f"5-{self.seq:020d}.json"
        tmp = self.boxes[0] / "tmp" / name
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.rename(tmp, self.boxes[0] / "new" / name)

    def round_trips(self, n: int, gap: float = 0.0) -> list[float]:
        out = []
        new, cur = self.boxes[1] / "new", self.boxes[1] / "cur"
        for _ in range(n):
            if gap:
                time.sleep(gap)
            start = time.perf_counter_ns()
            self._send(b'{"t": %d}' % start)
            while True:
                names = os.listdir(new)
                if names:
                    break
                self.waiter.wait(5.0)
            for name in names:
                os.rename(new / name, cur / name)
                with open(cur / name, "rb") as handle:
                    handle.read()
                os.unlink(cur / name)
            out.append((time.perf_counter_ns() - start) / 1e9)
        return out

    def close(self) -> None:
        self._send(b"stop")
        self.proc.wait(timeout=30)
        self.waiter.stop()


def round_trip(rounds: int, per_round: int, gaps: tuple[float, ...] = (GAP, 0.0)) -> list[tuple[Paired, Paired]]:
    """For each gap between round trips: the daemons' round trips beside the pipe's, and beside the bare
    maildir's, batch after batch in turns."""
    with tempfile.TemporaryDirectory(prefix="kin-bench-core-") as tmp:
        daemons, pipe, maildir = DaemonPair(Path(tmp) / "ws"), PipePair(), MaildirPair(Path(tmp) / "bare")
        try:
            for pair in (daemons, pipe, maildir):
                pair.round_trips(20)  # processes up, caches warm
            out = []
            for gap in gaps:
                got = interleave_batches({"daemons": lambda n, g=gap: daemons.round_trips(n, g),  # type: ignore[misc]
                                          "pipe": lambda n, g=gap: pipe.round_trips(n, g),  # type: ignore[misc]
                                          "maildir": lambda n, g=gap: maildir.round_trips(n, g)},  # type: ignore[misc]
                                         rounds, per_round)
                out.append((Paired(got["daemons"], got["pipe"]), Paired(got["daemons"], got["maildir"])))
            return out
        finally:
            daemons.close()
            pipe.close()
            maildir.close()


def luciorbe_update(rounds: int, per_round: int) -> Paired:
    from shadeos_core import Workspace
    from shadeos_core.luciorbe import LuciorbeKeeper

    with tempfile.TemporaryDirectory() as root:
        Path(root, "kin.toml").write_text("")
        keeper = LuciorbeKeeper(Workspace(root), "bench.luc")
        handle = keeper.open(".", task="benchmark", status="processing")
        counter = iter(range(10**9))
        payload = json.dumps(handle.data.to_json())
        target = Path(root, ".luciorbe.raw")

        def raw() -> None:
            tmp = Path(root, ".luciorbe.raw.tmp")
            with open(tmp, "w") as fh:
                fh.write(payload)
            os.replace(tmp, target)

        paired = alternate(lambda: handle.update(progress=f"{next(counter)}/{rounds}"), raw, rounds, per_round)
        keeper.release_all()
    return paired


def _compile_installed() -> None:
    """Byte-compile kin and its plugins, as pip does at install time (PYTHONDONTWRITEBYTECODE may be set here)."""
    import compileall
    import importlib.util
    from importlib import metadata

    names = ["shadeos_core", *(ep.value.split(".")[0] for ep in metadata.entry_points(group="shadeos"))]
    for name in dict.fromkeys(names):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                compileall.compile_dir(location, quiet=1)


def help_time(runs: int) -> Paired:
    _compile_installed()
    kin = [sys.executable, "-m", "shadeos_core", "--help"]
    bare = [sys.executable, "-c", "pass"]
    got = interleave({"kin": lambda: subprocess.run(kin, stdout=subprocess.DEVNULL, check=True),
                      "bare": lambda: subprocess.run(bare, stdout=subprocess.DEVNULL, check=True)}, runs, 1)
    return Paired(got["kin"], got["bare"])


def main(as_json: bool = False, quick: bool = False) -> None:
    runs, rounds = (5, 5) if quick else (15, 10)
    helps = help_time(runs)
    (paced, paced_bare), (hot, hot_bare) = round_trip(rounds, 40 if quick else 100)
    luc = luciorbe_update(rounds, 40 if quick else 100)
    report("core", [
        helps.row("kin --help wall time (byte-compiled)", "python -c pass", target="< 0.3 s"),
        paced.row(f"message round trip, 2 daemons, {GAP * 1e3:g} ms apart", "raw pipe round trip"),
        paced.row("  same", "raw pipe round trip", "p99", target="p99 <= 10x"),
        paced_bare.row("  same", "bare maildir round trip"),
        paced_bare.row("  same", "bare maildir round trip", "p99"),
        hot.row("message round trip, back to back", "raw pipe round trip"),
        hot.row("  same", "raw pipe round trip", "p99"),
        hot_bare.row("  same", "bare maildir round trip", "p99"),
        luc.row("luciorbe update (atomic rewrite)", "raw write+rename"),
        luc.row("luciorbe update (atomic rewrite)", "raw write+rename", "p99"),
    ], as_json=as_json)


if __name__ == "__main__":
    main(as_json="--json" in sys.argv, quick="--quick" in sys.argv)
