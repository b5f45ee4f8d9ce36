"""Orchestrator: cycle time with 50 daemons running, SIGKILL -> RUNNING again, stop time of a 20-daemon team,
and what an idle team of 10, 100 and 300 ``command`` daemons costs (CPU, memory).

The supervisor is driven through its own API (``start``, ``cycle``, ``stop``),
with the machine's clock and the ``background`` execution mode, as ``kin`` runs it.
Cycles run at the team's own pace (``cycle = "0.02s"``), as in a real run:
heartbeats land between them, cpu and memory come due, the state file is
refreshed; back to back they would skip all of that.

Baselines are measured in the same run, in alternation with what they are
compared to (the order swapping each time), round after round; each ratio is
printed with its spread over the rounds. They are: a plain read of
``/proc/<pid>/stat`` for the same 50 processes (the least any supervisor must
do to see its children); a bare interpreter start of the daemon runner;
SIGTERM + wait of 20 runner processes started with plain subprocess; and, for
the idle cost, as many bare ``sleep`` processes running beside the team,
measured in alternate windows (CPU as a share of one core; memory as the sum of
each process's PSS, which shares what processes share).
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import Paired, alternate_batches, report

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


def _kernel(root: Path) -> Any:
    os.environ["PYTHONPATH"] = os.pathsep.join([str(root / "plugin"), os.environ.get("PYTHONPATH", "")])
    os.environ["KIN_PLUGINS"] = "kin_bench_orchestrator"
    sys.path.insert(0, str(root / "plugin"))
    os.chdir(root)
    from shadeos_core.kernel import Kernel

    return Kernel.load(root)


def _supervisor(kernel: Any) -> Any:
    """A started supervisor of the team ``bench`` (its daemons start in the cycles that follow)."""
    from shadeos_orchestrator.supervisor import Supervisor

    sup = Supervisor(kernel.teams().get("bench"), kernel)
    sup.start()
    return sup


def _until(sup: Any, condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("benchmark team did not settle in time")
        sup.cycle()
        time.sleep(sup.cycle_s)


def _all_up(sup: Any) -> bool:
    return all(c.state == "RUNNING" and sup.seen.get(c.daemon_id) for c in sup.children.values())


def _back_up(child: Any, old: int) -> bool:
    return bool(child.state == "RUNNING" and child.pid not in (None, old))


def _proc_states(pids: list[int]) -> list[str]:
    """Each process's state letter from ``/proc/<pid>/stat``: one open and read per process, nothing more."""
    states = []
    for pid in pids:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
        states.append(stat[stat.rindex(b")") + 2:][:1].decode())
    return states


def _paced_cycles(sup: Any, pids: list[int], rounds: int, per_round: int) -> Paired:
    """A cycle and a /proc read of ``pids``, each timed, in turns (the first of the two alternating), at the
    team's pace; ``per_round`` of each per round."""
    out = Paired([], [])
    for r in range(rounds):
        cycles: list[float] = []
        reads: list[float] = []
        for i in range(per_round):
            began = time.perf_counter()
            for first in ((True, False) if (r + i) % 2 == 0 else (False, True)):
                start = time.perf_counter()
                if first:
                    sup.cycle()
                    cycles.append(time.perf_counter() - start)
                else:
                    _proc_states(pids)
                    reads.append(time.perf_counter() - start)
            time.sleep(max(0.0, sup.cycle_s - (time.perf_counter() - began)))
        out.measured.append(cycles)
        out.baseline.append(reads)
    return out


#: Pause before each restart and each interpreter start, so neither competes with the runner started just before.
SETTLE_S = 1.0


def bench_cycle(n: int, rounds: int, per_round: int, restarts: int) -> list[dict[str, Any]]:
    sup = _supervisor(_kernel(_workspace(n)))
    try:
        _until(sup, lambda: _all_up(sup))
        pids = [c.pid for c in sup.children.values()]
        cycles = _paced_cycles(sup, pids, rounds, per_round)
        victims = iter(list(sup.children.values()) * (restarts // n + 1))  # a different daemon each time

        def kill_and_wait(count: int) -> list[float]:
            out = []
            for _ in range(count):
                time.sleep(SETTLE_S)  # the daemon restarted last has finished starting: both sides start quiet
                child = next(victims)
                old = child.pid
                began = time.perf_counter()
                os.kill(old, signal.SIGKILL)
                _until(sup, functools.partial(_back_up, child, old))
                out.append(time.perf_counter() - began)
            return out

        def interpreter(count: int) -> list[float]:
            out = []
            for _ in range(count):
                time.sleep(SETTLE_S)
                began = time.perf_counter()
                subprocess.run([sys.executable, "-c", "import shadeos_core.runner"], check=True)
                out.append(time.perf_counter() - began)
            return out

        interpreter(1)  # warm the file cache like the runners already are
        restart = alternate_batches(kill_and_wait, interpreter, rounds=restarts, per_round=1)
    finally:
        sup.stop()
    total = rounds * per_round
    return [
        cycles.row(f"cycle p50, {n} daemons, {total} cycles", f"/proc read of {n} pids", "p50", target="< 5 ms"),
        cycles.row(f"cycle p99, {n} daemons, {total} cycles", f"/proc read of {n} pids", "p99", target="< 5 ms"),
        restart.row(f"SIGKILL -> RUNNING again ({restarts} times)", "bare runner interpreter start", "p50",
                    target="start_seconds 0.1 s included"),
    ]


def bench_stop(n: int, rounds: int) -> list[dict[str, Any]]:
    import psutil

    from shadeos_core.runner import runner_argv

    root = _workspace(n)
    kernel = _kernel(root)

    def team_stop(count: int) -> list[float]:
        out = []
        for _ in range(count):
            sup = _supervisor(kernel)
            try:
                _until(sup, functools.partial(_all_up, sup))
            except BaseException:
                sup.stop()
                raise
            began = time.perf_counter()
            sup.stop()
            out.append(time.perf_counter() - began)
        return out

    def raw_stop(count: int) -> list[float]:
        """The same runners started with plain subprocess, then SIGTERM + wait for each."""
        out = []
        for _ in range(count):
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
            out.append(time.perf_counter() - began)
            assert not [p for p in procs if psutil.pid_exists(p.pid) and p.poll() is None]
        return out

    paired = alternate_batches(team_stop, raw_stop, rounds=rounds, per_round=1)
    return [paired.row(f"stop a team of {n} daemons", f"SIGTERM+wait {n} raw runners", "p50")]


def _cpu(procs: list[Any]) -> float:
    """CPU seconds (user + system) used so far by ``procs`` (psutil processes)."""
    import psutil

    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _pss(procs: list[Any]) -> float:
    """The sum of the PSS of ``procs``, in MiB."""
    import psutil

    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except psutil.Error:
            pass
    return total / 2**20


def _idle_rounds(groups: dict[str, list[Any]], rounds: int, window: float) -> dict[str, list[tuple[float, float]]]:
    """For each group of processes, ``rounds`` windows of ``window`` seconds taken in turns (the order rotating):
    its CPU as a share of one core over the window, and its PSS (MiB) at the end of it."""
    names = list(groups)
    out: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            before, began = _cpu(groups[name]), time.monotonic()
            time.sleep(window)
            share = (_cpu(groups[name]) - before) / (time.monotonic() - began)
            out[name].append((share, _pss(groups[name])))
    return out


def _idle_row(metric: str, ours: list[float], theirs: list[float], baseline_name: str) -> dict[str, Any]:
    """A count row: the mean of each side over the rounds, and the spread of the ratio round by round."""
    value, base = sum(ours) / len(ours), sum(theirs) / len(theirs)
    row: dict[str, Any] = {"metric": metric, "value": round(value, 5), "unit": "count", "baseline_name": baseline_name,
                           "baseline": round(base, 5) or None, "rounds": len(ours)}
    ratios = [o / t for o, t in zip(ours, theirs) if t > 0]
    if ratios and row["baseline"]:
        row["spread"] = [min(ratios), max(ratios)]
    return row


def bench_idle(n: int, rounds: int, window: float, settle: float) -> list[dict[str, Any]]:
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
    sleepers: list[subprocess.Popen[bytes]] = []
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
        sleepers = [subprocess.Popen(["sleep", "3600"]) for _ in range(n)]
        time.sleep(settle)  # long enough for the command daemons' guardians to retire (IDLE_RETIRE)
        top = psutil.Process(team.pid)
        ours = [top, *top.children(recursive=True)]
        got = _idle_rounds({"team": ours, "sleep": [psutil.Process(p.pid) for p in sleepers]}, rounds, window)
    finally:
        team.terminate()
        team.wait(timeout=300)
        for proc in sleepers:
            proc.kill()
            proc.wait()
    cpu = ([c for c, _ in got["team"]], [c for c, _ in got["sleep"]])
    pss = ([m for _, m in got["team"]], [m for _, m in got["sleep"]])
    span = f"{window * rounds:.0f}s"
    return [
        _idle_row(f"idle team of {n} command daemons: CPU, share of a core over {span}", *cpu,
                  f"{n} sleep processes"),
        _idle_row(f"  memory (sum of PSS, MiB; {len(ours)} processes)", *pss, f"{n} sleep processes"),
        _idle_row("  memory per daemon (MiB, PSS)", [m / n for m in pss[0]], [m / n for m in pss[1]],
                  "per sleep process"),
    ]


def main(as_json: bool = False, quick: bool = False) -> None:
    here = os.getcwd()
    try:
        rows = bench_cycle(10 if quick else 50, rounds=5 if quick else 6, per_round=20 if quick else 100,
                           restarts=3 if quick else 6)
        rows += bench_stop(5 if quick else 20, rounds=2 if quick else 4)
        for n in ((10, 30) if quick else (10, 100, 300)):
            rows += bench_idle(n, rounds=4, window=1.25 if quick else 5.0, settle=3.0 if quick else 35.0)
    finally:
        os.chdir(here)
        for root in _ROOTS:
            shutil.rmtree(root, ignore_errors=True)
    report("orchestrator", rows, as_json=as_json)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv, as_json="--json" in sys.argv)
