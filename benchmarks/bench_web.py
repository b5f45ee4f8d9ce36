"""The web dashboard (``kin web``) in a real headless Chromium, each figure beside a baseline of the same run.

- time to first render of the Team page with a 50-daemon team (``goto`` until the 50 rows are in the DOM),
  beside reading the team's state file directly (``read_team_state``), in alternation;
- delay from a change of the state file to the browser showing it (SSE), beside reading the file directly
  right after the same change;
- idle CPU of the server with one open Team page (no change for the window), beside an idle
  loop that only stats the state file at the same interval (the least a live page can cost), same window.

The team is a published state of 50 daemons (the file the orchestrator writes), owned by this process so that
it reads as running: what the page renders is the same as for a real team, without 50 processes competing for
the two cores. Needs Chromium (``apt-get install chromium``) and Playwright for Python.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import Paired, alternate_batches, report

DAEMONS = 50
#: the baseline of the idle figure: a process that only stats the state file every 0.2 s, as the watcher does
_POLLER = "import os, sys, time\nwhile True:\n    os.stat(sys.argv[1])\n    time.sleep(0.2)\n"


def _state(seq: int) -> dict[str, Any]:
    from shadeos_core.processes import own_start_time

    now = time.time()
    daemons = [{"name": f"d{i:02d}", "daemon_id": f"bench.d{i:02d}", "type": "agent", "state": "RUNNING",
                "pid": os.getpid(), "pid_started": own_start_time(), "started": now - 600, "restarts": 0,
                "task": f"task {seq} of d{i:02d}", "progress": f"{i}/50", "heartbeat_age": 0.4, "cpu": 1.0,
                "memory": 40e6, "model": "gpt-4o-mini", "input_tokens": 1200 * i, "output_tokens": 300 * i}
               for i in range(DAEMONS)]
    return {"team": "bench", "pid": os.getpid(), "pid_started": own_start_time(), "started_at": "2026-11-20T10:00:00Z",
            "updated_at": "2026-11-20T10:00:00Z", "phase": "expansion", "daemons": daemons,
            "events": [f"event {n}" for n in range(30)]}


def _start_server(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    out = root.parent / "web.out"
    handle = open(out, "wb")  # noqa: SIM115 - kept open for the server's life
    proc = subprocess.Popen([sys.executable, "-m", "shadeos_core", "web", "--port", "0"], cwd=root, stdout=handle,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"http://\S+\?token=\S+", out.read_text(errors="replace"))
        if found:
            return proc, found.group(0)
        time.sleep(0.05)
    raise RuntimeError(f"kin web did not start: {out.read_text(errors='replace')}")


def _cpu_seconds(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def main(as_json: bool = False, quick: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    from shadeos_core.fsio import atomic_write_json
    from shadeos_core.teamstate import read_team_state, state_path
    from shadeos_core.workspace import Workspace

    executable = shutil.which("chromium")
    if executable is None:
        print("web: skipped, it needs Chromium (apt-get install chromium)", file=sys.stderr)
        return
    rounds, per_round, idle_s = (3, 3, 5.0) if quick else (6, 5, 10.0)
    with tempfile.TemporaryDirectory(prefix="kin-bench-web-") as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        (root / "kin.toml").write_text("")
        workspace = Workspace(root)
        path = state_path(workspace, "bench")
        seq = 0
        atomic_write_json(path, _state(seq), indent=None)
        server, url = _start_server(root)
        base = url.split("/?")[0]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
                page = browser.new_page()
                page.goto(url)
                page.wait_for_selector(f"tr[data-daemon='d{DAEMONS - 1:02d}']")

                def renders(n: int) -> list[float]:
                    out = []
                    for _ in range(n):
                        start = time.perf_counter()
                        page.goto(base + "/")
                        page.wait_for_selector(f"tr[data-daemon='d{DAEMONS - 1:02d}']", state="attached")
                        out.append(time.perf_counter() - start)
                    return out

                def reads(n: int) -> list[float]:
                    out = []
                    for _ in range(n):
                        start = time.perf_counter()
                        assert read_team_state(workspace, "bench") is not None
                        out.append(time.perf_counter() - start)
                    return out

                first = alternate_batches(renders, reads, rounds, per_round)

                page.goto(base + "/")
                page.wait_for_selector(f"tr[data-daemon='d{DAEMONS - 1:02d}']")

                def changes(n: int) -> list[float]:
                    nonlocal seq
                    out = []
                    for _ in range(n):
                        seq += 1
                        start = time.perf_counter()
                        atomic_write_json(path, _state(seq), indent=None)
                        page.wait_for_function(f"document.querySelector(\"tr[data-daemon='d00'] td.task\")"
                                               f".textContent === 'task {seq} of d00'", polling="raf")
                        out.append(time.perf_counter() - start)
                    return out

                def direct(n: int) -> list[float]:
                    nonlocal seq
                    out = []
                    for _ in range(n):
                        seq += 1
                        atomic_write_json(path, _state(seq), indent=None)
                        start = time.perf_counter()
                        state = read_team_state(workspace, "bench")
                        assert state is not None and state["daemons"][0]["task"] == f"task {seq} of d00"
                        out.append(time.perf_counter() - start)
                    return out

                delay = alternate_batches(changes, direct, rounds, per_round)

                # idle: one open page, nothing changing
                plain = subprocess.Popen([sys.executable, "-c", _POLLER, str(path)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
                time.sleep(1.0)
                idle = Paired([], [])
                for _ in range(max(1, rounds // 2)):
                    ours, theirs = _cpu_seconds(server.pid), _cpu_seconds(plain.pid)
                    time.sleep(idle_s)
                    idle.measured.append([(_cpu_seconds(server.pid) - ours) / idle_s])
                    idle.baseline.append([max(1e-6, (_cpu_seconds(plain.pid) - theirs) / idle_s)])
                plain.send_signal(signal.SIGINT)
                plain.wait(timeout=10)
                browser.close()
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    rows = [first.row(f"Team page first render, {DAEMONS} daemons", "read_team_state"),
            delay.row("state change -> browser shows it", "read_team_state after the change"),
            {**idle.row("idle CPU, one open page (CPU s per s)", "bare stat-poll loop", "mean"), "unit": "count"}]
    report("web", rows, as_json=as_json)


if __name__ == "__main__":
    main(as_json="--json" in sys.argv, quick="--quick" in sys.argv)
