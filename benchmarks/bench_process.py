"""Process plugin: BLOCKING overhead, tree-kill completeness and time, MONITORED line latency.

Run: ``python benchmarks/run.py process [--quick] [--json]``.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import Paired, alternate, alternate_batches, interleave, report

from shadeos_core.lifeline import die_with_parent, prepare
from shadeos_core.workspace import Workspace
from shadeos_process import ExecutionMode, execute_command, kill_process_tree

IGNORER = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
SETSID = "import os, time; os.setsid(); time.sleep(300)"


def _blocking(workspace: Workspace, runs: int) -> list[dict]:
    prepare()
    parent = os.getpid()
    execute_command(["true"], workspace=workspace)  # the first run starts this process's guardian
    got = interleave({
        "raw": lambda: subprocess.run(["true"], capture_output=True),
        "session": lambda: subprocess.run(["true"], capture_output=True, start_new_session=True),
        "ours": lambda: execute_command(["true"], workspace=workspace),
    }, 10, max(1, runs // 10), warmup=0)
    # Not in the turns: a real fork leaves this process's pages copy-on-write, and whatever ran next would pay
    # the faults. Its own rounds follow, alternated with ours.
    lifeline = alternate(lambda: execute_command(["true"], workspace=workspace), lambda: subprocess.run(
        ["true"], capture_output=True, start_new_session=True,
        preexec_fn=lambda: die_with_parent(signal.SIGKILL, parent_pid=parent)), 5, max(1, runs // 10), warmup=0)
    return [
        Paired(got["ours"], got["raw"]).row(f"BLOCKING true, {runs} runs", "subprocess.run", target="ratio <= 1.3"),
        Paired(got["ours"], got["session"]).row("  same", "subprocess.run + setsid"),
        lifeline.row("  same", "subprocess.run + setsid + preexec pdeathsig"),
    ]


def _tree(size: int, directory: str) -> subprocess.Popen[bytes]:
    """A shell whose children are sleeps, TERM-ignoring Pythons and Pythons that setsid; ``size`` processes."""
    parts = []
    for i in range(size - 1):
        kind = i % 5
        if kind == 0:
            parts.append(f"{sys.executable} -c '{IGNORER}' &")
        elif kind == 1:
            parts.append(f"{sys.executable} -c '{SETSID}' &")
        else:
            parts.append("sleep 300 &")
    return subprocess.Popen(["sh", "-c", " ".join(parts) + " wait"], cwd=directory, start_new_session=True)


def _tree_kill(size: int, grace: float) -> list[dict]:
    import psutil

    with tempfile.TemporaryDirectory() as directory:
        proc = _tree(size, directory)
        deadline = time.monotonic() + 60
        while len(psutil.Process(proc.pid).children(recursive=True)) < size - 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # let the Pythons install their handlers and call setsid
        members = [proc.pid] + [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        started = time.perf_counter()
        result = kill_process_tree(proc.pid, timeout=grace)
        took = time.perf_counter() - started
        proc.wait()
        alive = [p for p in members if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        # baseline: what it takes to SIGKILL and reap the same number of plain sleeps
        sleeps = [subprocess.Popen(["sleep", "300"]) for _ in range(size)]
        t0 = time.perf_counter()
        for s in sleeps:
            s.kill()
        for s in sleeps:
            s.wait()
        raw = time.perf_counter() - t0
    # survivors get their own row below; no print here, it would break --json
    return [{"metric": f"tree kill of {len(members)}, {len(result.killed)} needed SIGKILL (after {grace}s grace)",
             "value": max(took - grace, 1e-6),
             "baseline_name": f"kill+wait {size} sleeps", "baseline": raw},
            {"metric": "  survivors (target 0)", "value": len(alive), "unit": "count"}]


def _monitored(lines: int, rounds: int = 5) -> list[dict]:
    """Line latency through MONITORED beside a raw pipe read of the same child, a batch of each per round."""
    per_round = max(1, lines // rounds)

    def code(n: int) -> str:
        return ("import sys, time\n"
                f"for i in range({n}):\n"
                "    print(time.time_ns(), flush=True)\n"
                "    time.sleep(0.002)\n")

    def ours(n: int) -> list[float]:
        latencies: list[float] = []
        done = threading.Event()
        result = execute_command([sys.executable, "-c", code(n)], ExecutionMode.MONITORED,
                                 on_output=lambda line: latencies.append(time.time_ns() / 1e9 - int(line) / 1e9),
                                 on_complete=lambda r: done.set())
        done.wait(120)
        assert result.returncode == 0
        return latencies

    def raw(n: int) -> list[float]:
        out: list[float] = []
        reader = subprocess.Popen([sys.executable, "-c", code(n)], stdout=subprocess.PIPE)
        for line in reader.stdout:  # type: ignore[union-attr]
            out.append(time.time_ns() / 1e9 - int(line) / 1e9)
        reader.wait()
        return out

    paired = alternate_batches(ours, raw, rounds, per_round)
    return [paired.row(f"MONITORED line latency ({lines} lines)", "raw pipe readline"),
            paired.row("MONITORED line latency", "raw pipe readline", "p99")]


def main(as_json: bool = False, quick: bool = False) -> None:
    with tempfile.TemporaryDirectory() as root:
        Path(root, "kin.toml").write_text("")
        workspace = Workspace(root)
        rows = _blocking(workspace, 50 if quick else 200)
    rows += _tree_kill(20 if quick else 50, grace=1.0)
    rows += _monitored(100 if quick else 500)
    report("process", rows, as_json=as_json)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
