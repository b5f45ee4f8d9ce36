"""Orchestrator: cycle time with 50 daemons running, SIGKILL -> RUNNING again, stop time of a 20-daemon team,
and what an idle team of 10, 100 and 300 ``command`` daemons costs (CPU, memory).

Cycles run at the team's own pace (``cycle = "0.02s"``), as in a real run:
heartbeats land between them, cpu and memory come due, the state file is
refreshed; back to back they would skip all of that. Each cycle's cost is
timed, over enough cycles (600) for the p99 to mean something.

Baselines measured in the same run: reading the status of the same 50
processes with psutil (what any supervisor must at least do), timed right
after each cycle so both see the same machine; a bare interpreter start of the
daemon runner; SIGTERM + wait of 20 runner processes started with plain
subprocess; and, for the idle cost, as many bare ``sleep`` processes, measured
over the same window (CPU as a share of one core; memory as the sum of each
process's PSS, which shares what processes share).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from common import report, summary, timeit

_PLUGIN = '''
from shadeos_core import CycleResult, Daemon, hookimpl

class BenchIdle(Daemon):
    """One cycle, then waits for messages; the heartbeat keeps its luciorbe fresh."""
    def cycle(self, injections):
        return CycleResult(task="idle")

@hookimpl
def register_daemons(register):
    register("bench-idle", BenchIdle)
'''


_ROOTS: list[Path] = []


def _workspace(n: int) -> Path:
    root = Path(tempfile.mkdtemp(prefix="kin-bench-orch-"))
    _ROOTS.append(root)
    (root / "kin.toml").write_text("# benchmark workspace\n")
    (root / "plugin").mkdir()
    (root / "plugin" / "kin_bench_orchestrator.py").write_text(_PLUGIN)
    daemons = "\n".join(f'[daemons.d{i}]\ntype = "bench-idle"\nheartbeat = "1s"\nstart_seconds = "0.1s"\n'
                        for i in range(n))
    (root / "teams").mkdir()
    (root / "teams" / "bench.toml").write_text(textwrap.dedent('''
        [team]
        cycle = "0.02s"
        flap_restarts = 1000
        ''') + daemons)
    return root


def _supervisor(root: Path):
    os.environ["PYTHONPATH"] = os.pathsep.join([str(root / "plugin"), os.environ.get("PYTHONPATH", "")])
    os.environ["KIN_PLUGINS"] = "kin_bench_orchestrator"
    sys.path.insert(0, str(root / "plugin"))
    os.chdir(root)
    from shadeos_core.kernel import Kernel
    from shadeos_orchestrator.supervisor import Supervisor

    kernel = Kernel.load(root)
    sup = Supervisor(kernel.teams().get("bench"), kernel)
    sup.mode = kernel.execution_modes["background"](kernel.workspace)
    sup.lock.acquire()
    return sup


def _until(sup, condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("benchmark team did not settle in time")
        sup.cycle()
        time.sleep(sup.cycle_s)


def _all_up(sup) -> bool:
    return all(c.state == "RUNNING" and sup.seen.get(c.daemon_id) for c in sup.children.values())


def bench_cycle(n: int, repeat: int) -> list[dict]:
    import psutil

    sup = _supervisor(_workspace(n))
    try:
        _until(sup, lambda: _all_up(sup))
        pids = [c.pid for c in sup.children.values()]
        cycles, listings = [], []
        for _ in range(repeat):
            began = time.perf_counter()
            sup.cycle()
            middle = time.perf_counter()
            [psutil.Process(pid).status() for pid in pids]
            ended = time.perf_counter()
            cycles.append(middle - began)
            listings.append(ended - middle)
            time.sleep(max(0.0, sup.cycle_s - (ended - began)))
        cycle, listing = summary(cycles), summary(listings)
        restarts = []
        for i in range(5):
            child = list(sup.children.values())[i]
            old = child.pid
            began = time.perf_counter()
            os.kill(old, signal.SIGKILL)
            _until(sup, lambda c=child, o=old: c.state == "RUNNING" and c.pid not in (None, o))
            restarts.append(time.perf_counter() - began)
        interp = summary(timeit(lambda: subprocess.run([sys.executable, "-c", "import shadeos_core.runner"],
                                                      check=True), 5, warmup=1))
    finally:
        sup.shutdown()
        sup.lock.release()
    return [
        {"metric": f"cycle p50, {n} daemons, {repeat} cycles", "value": cycle["p50"], "baseline_name": f"psutil status of {n} pids",
         "baseline": listing["p50"], "target": "< 5 ms"},
        {"metric": f"cycle p99, {n} daemons, {repeat} cycles", "value": cycle["p99"],
         "baseline_name": f"psutil status of {n} pids", "baseline": listing["p99"], "target": "< 5 ms"},
        {"metric": "SIGKILL -> RUNNING again (median of 5)", "value": summary(restarts)["p50"],
         "baseline_name": "bare runner interpreter start", "baseline": interp["p50"],
         "target": "start_seconds 0.1 s included"},
    ]


def bench_stop(n: int) -> list[dict]:
    import psutil

    from shadeos_core.runner import runner_argv

    root = _workspace(n)
    sup = _supervisor(root)
    _until(sup, lambda: _all_up(sup))
    began = time.perf_counter()
    sup.shutdown()
    stop = time.perf_counter() - began
    sup.lock.release()
    # Baseline: the same runners started with plain subprocess, then SIGTERM + wait for each.
    procs = [subprocess.Popen(runner_argv("bench", f"d{i}", cwd=str(root)), cwd=root) for i in range(n)]
    deadline = time.monotonic() + 120
    records = root / ".kin" / "run" / "luciorbes"
    while len(list(records.glob("*.json"))) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    began = time.perf_counter()
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait()
    raw = time.perf_counter() - began
    assert not [p for p in procs if psutil.pid_exists(p.pid) and p.poll() is None]
    return [{"metric": f"stop a team of {n} daemons", "value": stop, "baseline_name": f"SIGTERM+wait {n} raw runners",
             "baseline": raw}]


def _footprint(procs: list, window: float) -> tuple[float, float]:
    """CPU share of one core over ``window`` and the sum of PSS in MiB, of ``procs`` (psutil processes)."""
    import psutil

    def cpu() -> float:
        total = 0.0
        for proc in procs:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    before, began = cpu(), time.monotonic()
    time.sleep(window)
    share = (cpu() - before) / (time.monotonic() - began)
    pss = 0
    for proc in procs:
        try:
            pss += proc.memory_full_info().pss
        except psutil.Error:
            pass
    return share, pss / 2**20


def bench_idle(n: int, window: float, settle: float) -> list[dict]:
    """A team of ``n`` idle command daemons run as `kin idle`, beside ``n`` bare sleep processes."""
    import psutil

    root = Path(tempfile.mkdtemp(prefix="kin-bench-idle-"))
    _ROOTS.append(root)
    (root / "kin.toml").write_text("[orchestrator]\nstart_rate = 50\n")
    (root / "teams").mkdir()
    body = f'type = "command"\ncommand = ["{sys.executable}", "-c", "pass"]\nevery = "1h"\non_message = true\n'
    (root / "teams" / "idle.toml").write_text('[team]\nname = "idle"\n' + "".join(f"[daemons.d{i}]\n{body}"
                                                                                  for i in range(n)))
    team = subprocess.Popen([sys.executable, "-m", "shadeos_core", "idle"], cwd=root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    state = root / ".kin" / "run" / "teams" / "idle.json"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                daemons = json.loads(state.read_text())["daemons"]
                if len(daemons) == n and all(d["state"] == "RUNNING" and d["status"] == "waiting" for d in daemons):
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError(f"the idle team of {n} did not settle")
        time.sleep(settle)  # long enough for the command daemons' guardians to retire (IDLE_RETIRE)
        top = psutil.Process(team.pid)
        ours = [top, *top.children(recursive=True)]
        share, pss = _footprint(ours, window)
    finally:
        team.terminate()
        team.wait(timeout=300)
    sleepers = [subprocess.Popen(["sleep", "3600"]) for _ in range(n)]
    try:
        time.sleep(1.0)
        base_share, base_pss = _footprint([psutil.Process(p.pid) for p in sleepers], window)
    finally:
        for proc in sleepers:
            proc.kill()
            proc.wait()
    return [
        {"metric": f"idle team of {n} command daemons: CPU, share of a core over {window:.0f}s", "value": share,
         "unit": "count", "baseline_name": f"{n} sleep processes", "baseline": base_share or None},
        {"metric": f"  memory (sum of PSS, MiB; {len(ours)} processes)", "value": round(pss, 1), "unit": "count",
         "baseline_name": f"{n} sleep processes", "baseline": round(base_pss, 1)},
        {"metric": "  memory per daemon (MiB, PSS)", "value": round(pss / n, 2), "unit": "count",
         "baseline_name": "per sleep process", "baseline": round(base_pss / n, 2)},
    ]


def main(as_json: bool = False, quick: bool = False) -> None:
    here = os.getcwd()
    try:
        rows = bench_cycle(10 if quick else 50, 100 if quick else 600)
        rows += bench_stop(5 if quick else 20)
        for n in ((10, 30) if quick else (10, 100, 300)):
            rows += bench_idle(n, window=5.0 if quick else 20.0, settle=3.0 if quick else 35.0)
    finally:
        os.chdir(here)
        for root in _ROOTS:
            shutil.rmtree(root, ignore_errors=True)
    report("orchestrator", rows, as_json=as_json)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv, as_json="--json" in sys.argv)
