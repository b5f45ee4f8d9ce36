"""Core figures: ``kin --help`` start-up, a message round trip between two running daemons, luciorbe updates.

Baselines, measured in the same run and alternated with the figure: ``python -c
pass``; a round trip over raw pipes between two processes; a raw write + rename
of the same JSON.

The round trip runs between two daemons hosted by the real runner
(``python -m shadeos_core.runner``): ``ping`` sends to ``pong`` with
``Daemon.send``, ``pong``'s runner wakes, hands the message to its cycle, which
answers with ``Daemon.send``; ``ping`` takes the time when the answer reaches its
own cycle. Each round trip, the first included, is due 2 ms after the last
event, through the runner (``ping`` waits idle in it, as a daemon with nothing
to do does; the pipe's round trips are paced alike, a sleep before each;
back-to-back figures are printed too). Every hop is the whole
path: the append to the receiver's live lane, its wake-up, claim, cycle and
acknowledgement, the events recorded (the actions plugin, installed here), the
luciorbe kept. A second baseline is the bare mechanism: JSON lines appended to
a file in memory and read by a process woken by a byte on a FIFO, no kin code.
"""
from __future__ import annotations

import json
import os
import select
import shutil
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
    from shadeos_core import CycleResult, Daemon, Mailbox, hookimpl

    class Pong(Daemon):
        def cycle(self, injections):
            for injection in injections:
                if injection.type == "message":
                    self.send(injection.content.sender, injection.content.body)

    class Ping(Daemon):
        # Round trips are paced by the runner (the next one is due ``gap`` seconds after the answer): between
        # two, the daemon waits idle in its runner as a daemon with nothing to do does.
        def setup(self):
            self.left, self.lat, self.driver, self.gap, self.due = 0, [], "", 0.0, False

        def _ping(self):
            self.due = False
            self.send("pong", {"t": time.perf_counter_ns()})

        def cycle(self, injections):
            if self.due and not injections:
                self._ping()
                return None
            for injection in injections:
                if injection.type != "message":
                    continue
                body = injection.content.body
                if "go" in body:
                    self.left, self.lat, self.driver = body["go"], [], injection.content.sender
                    self.gap = body["gap"]
                    if not self.gap:
                        self._ping()
                        continue
                    # the first round trip is paced as the others (and as the pipe's, which sleeps before
                    # each): due ``gap`` after the go, the driver asleep by then
                    self.due = True
                    return CycleResult(next_in=self.gap)
                elif "t" in body and self.left:
                    self.lat.append(time.perf_counter_ns() - body["t"])
                    self.left -= 1
                    if not self.left:
                        Mailbox.send(self.workspace, self.driver, {"lat": self.lat}, sender=self.daemon_id)
                    elif self.gap:
                        self.due = True
                        return CycleResult(next_in=self.gap)
                    else:
                        self._ping()
            return None

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


# The bare mechanism under a live mailbox: a JSON line appended to a file in memory, a byte written to the
# reader's FIFO to wake it, the line read from where the reader left off; no kin code on the way. Answers go back
# the same way.
LANE_ECHO = textwrap.dedent("""
    import json, os, select, sys
    inbox, outbox = sys.argv[1], sys.argv[2]
    read, write = os.open(inbox, os.O_RDONLY), os.open(outbox, os.O_WRONLY | os.O_APPEND)
    bell = os.open(inbox + ".bell", os.O_RDWR | os.O_NONBLOCK)
    ring = os.open(outbox + ".bell", os.O_WRONLY | os.O_NONBLOCK)
    offset = 0
    print("ready", flush=True)
    while True:
        data = os.pread(read, 65536, offset)
        if not data:
            select.select([bell], [], [])
            os.read(bell, 65536)
            continue
        offset += len(data)
        for line in data.splitlines():
            message = json.loads(line)
            if message == "stop":
                sys.exit(0)
            os.write(write, json.dumps(message).encode() + b"\\n")
            os.write(ring, b"\\0")
""")


class LanePair:
    """A second baseline: two processes exchanging JSON lines appended to files in memory, woken by FIFOs."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True)
        self.inbox, self.outbox = root / "a", root / "b"
        for path in (self.inbox, self.outbox):
            path.touch()
            os.mkfifo(f"{path}.bell")
        self.bell = os.open(f"{self.outbox}.bell", os.O_RDWR | os.O_NONBLOCK)
        self.proc = subprocess.Popen([sys.executable, "-c", LANE_ECHO, str(self.inbox), str(self.outbox)],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"
        self.ring = os.open(f"{self.inbox}.bell", os.O_WRONLY | os.O_NONBLOCK)
        self.w = os.open(self.inbox, os.O_WRONLY | os.O_APPEND)
        self.r = os.open(self.outbox, os.O_RDONLY)
        self.offset = 0

    def round_trips(self, n: int, gap: float = 0.0) -> list[float]:
        out = []
        for _ in range(n):
            if gap:
                time.sleep(gap)
            start = time.perf_counter_ns()
            os.write(self.w, json.dumps({"t": start}).encode() + b"\n")
            os.write(self.ring, b"\0")
            while True:
                data = os.pread(self.r, 65536, self.offset)
                if data:
                    self.offset += len(data)
                    json.loads(data.splitlines()[0])
                    break
                select.select([self.bell], [], [], 5.0)
                os.read(self.bell, 65536)
            out.append((time.perf_counter_ns() - start) / 1e9)
        return out

    def close(self) -> None:
        os.write(self.w, b'"stop"\n')
        os.write(self.ring, b"\0")
        self.proc.wait(timeout=30)
        for fd in (self.w, self.r, self.bell, self.ring):
            os.close(fd)


def round_trip(rounds: int, per_round: int, gaps: tuple[float, ...] = (GAP, 0.0)) -> list[tuple[Paired, Paired]]:
    """For each gap between round trips: the daemons' round trips beside the pipe's, and beside the bare
    lane's, batch after batch in turns."""
    with tempfile.TemporaryDirectory(prefix="kin-bench-core-") as tmp:
        lanes = tempfile.mkdtemp(prefix="kin-bench-lane-", dir="/dev/shm" if os.path.isdir("/dev/shm") else tmp)
        daemons, pipe, bare = DaemonPair(Path(tmp) / "ws"), PipePair(), LanePair(Path(lanes) / "bare")
        try:
            for pair in (daemons, pipe, bare):
                pair.round_trips(20)  # processes up, caches warm
            out = []
            for gap in gaps:
                got = interleave_batches({"daemons": lambda n, g=gap: daemons.round_trips(n, g),  # type: ignore[misc]
                                          "pipe": lambda n, g=gap: pipe.round_trips(n, g),  # type: ignore[misc]
                                          "bare": lambda n, g=gap: bare.round_trips(n, g)},  # type: ignore[misc]
                                         rounds, per_round)
                out.append((Paired(got["daemons"], got["pipe"]), Paired(got["daemons"], got["bare"])))
            return out
        finally:
            daemons.close()
            pipe.close()
            bare.close()
            shutil.rmtree(lanes, ignore_errors=True)


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
        paced_bare.row("  same", "bare lane round trip"),
        paced_bare.row("  same", "bare lane round trip", "p99"),
        hot.row("message round trip, back to back", "raw pipe round trip"),
        hot.row("  same", "raw pipe round trip", "p99"),
        hot_bare.row("  same", "bare lane round trip", "p99"),
        luc.row("luciorbe update (atomic rewrite)", "raw write+rename"),
        luc.row("luciorbe update (atomic rewrite)", "raw write+rename", "p99"),
    ], as_json=as_json)


if __name__ == "__main__":
    main(as_json="--json" in sys.argv, quick="--quick" in sys.argv)
