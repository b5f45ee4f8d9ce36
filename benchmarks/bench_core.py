"""Core figures: ``kin --help`` start-up, mailbox latency between processes, luciorbe updates.

Baselines measured in the same run: ``python -c pass``; a one-way message over a
raw pipe; a raw write + rename of the same JSON.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from common import percentile, report, timeit

RECEIVER = textwrap.dedent("""
    import json, os, sys, time
    from shadeos_core import Mailbox, Workspace
    from shadeos_core.inotify import DirectoryWaiter
    n = int(sys.argv[1])
    box = Mailbox(Workspace("."), "bench.rx")
    lat = []
    with DirectoryWaiter(box.new) as waiter:
        print("ready", flush=True)
        while len(lat) < n:
            for m in box.receive():
                lat.append(time.monotonic_ns() - m.body["t"])
                box.ack(m)
            if len(lat) < n:
                waiter.wait(0.5)
    print(json.dumps(lat), flush=True)
""")

PIPE_RECEIVER = textwrap.dedent("""
    import json, sys, time
    n = int(sys.argv[1])
    lat = []
    print("ready", flush=True)
    for line in sys.stdin:
        lat.append(time.monotonic_ns() - int(line))
        if len(lat) == n:
            break
    print(json.dumps(lat), flush=True)
""")


def _spawn(code: str, n: int, cwd: str, stdin: int | None = None) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", code, str(n)], cwd=cwd, stdin=stdin, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def mailbox_latency(n: int, gap: float) -> tuple[list[float], list[float]]:
    from shadeos_core import Mailbox, Workspace

    with tempfile.TemporaryDirectory() as root:
        Path(root, "kin.toml").write_text("")
        ws = Workspace(root)
        rx = _spawn(RECEIVER, n, root)
        for i in range(n):
            Mailbox.send(ws, "bench.rx", {"t": time.monotonic_ns(), "i": i}, sender="bench.tx")
            time.sleep(gap)
        mail = [ns / 1e9 for ns in json.loads(rx.stdout.readline())]  # type: ignore[union-attr]
        rx.wait()
        pipe_rx = _spawn(PIPE_RECEIVER, n, root, stdin=subprocess.PIPE)
        for _ in range(n):
            pipe_rx.stdin.write(f"{time.monotonic_ns()}\n")  # type: ignore[union-attr]
            pipe_rx.stdin.flush()  # type: ignore[union-attr]
            time.sleep(gap)
        pipe = [ns / 1e9 for ns in json.loads(pipe_rx.stdout.readline())]  # type: ignore[union-attr]
        pipe_rx.stdin.close()  # type: ignore[union-attr]
        pipe_rx.wait()
    return mail, pipe


def luciorbe_update(n: int) -> tuple[list[float], list[float]]:
    from shadeos_core import Workspace
    from shadeos_core.luciorbe import LuciorbeKeeper

    with tempfile.TemporaryDirectory() as root:
        Path(root, "kin.toml").write_text("")
        keeper = LuciorbeKeeper(Workspace(root), "bench.luc")
        handle = keeper.open(".", task="benchmark", status="processing")
        counter = iter(range(10**9))
        ours = timeit(lambda: handle.update(progress=f"{next(counter)}/{n}"), n)
        payload = json.dumps(handle.data.to_json())
        target = Path(root, ".luciorbe.raw")

        def raw() -> None:
            tmp = Path(root, ".luciorbe.raw.tmp")
            with open(tmp, "w") as fh:
                fh.write(payload)
            os.replace(tmp, target)

        base = timeit(raw, n)
        keeper.release_all()
    return ours, base


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


def help_time(runs: int) -> tuple[float, float]:
    _compile_installed()
    kin = [sys.executable, "-m", "shadeos_core", "--help"]
    bare = [sys.executable, "-c", "pass"]

    def wall(argv: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start

    kin_times, bare_times = [], []
    for _ in range(runs):  # interleaved so both see the same machine load
        kin_times.append(wall(kin))
        bare_times.append(wall(bare))
    return statistics.median(kin_times), statistics.median(bare_times)


def main(as_json: bool = False, quick: bool = False) -> None:
    runs, n = (5, 100) if quick else (15, 1000)
    help_kin, help_bare = help_time(runs)
    mail, pipe = mailbox_latency(n // 2 if quick else 500, 0.002)
    luc, raw = luciorbe_update(n)
    report("core", [
        {"metric": "kin --help wall time (median, byte-compiled)", "value": help_kin, "baseline_name": "python -c pass",
         "baseline": help_bare, "target": "< 0.3 s"},
        {"metric": "mailbox send→receive, 2 processes, p50", "value": statistics.median(mail),
         "baseline_name": "raw pipe p50", "baseline": statistics.median(pipe)},
        {"metric": "mailbox send→receive, 2 processes, p99", "value": percentile(mail, 99),
         "baseline_name": "raw pipe p99", "baseline": percentile(pipe, 99), "target": "< 3 ms"},
        {"metric": "luciorbe update (atomic rewrite), p50", "value": statistics.median(luc),
         "baseline_name": "raw write+rename p50", "baseline": statistics.median(raw)},
        {"metric": "luciorbe update (atomic rewrite), p99", "value": percentile(luc, 99),
         "baseline_name": "raw write+rename p99", "baseline": percentile(raw, 99)},
    ], as_json=as_json)


if __name__ == "__main__":
    main(as_json="--json" in sys.argv, quick="--quick" in sys.argv)
