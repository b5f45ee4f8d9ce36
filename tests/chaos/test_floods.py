"""Output floods: a daemon writing without end, a command writing without end. Memory and disk stay bounded,
the flood is reported, supervision goes on."""
from __future__ import annotations

import json
import sys

import psutil
from chaos_kit import chaos_env

from shadeos_core.testing import TeamRun, team_processes, wait_for

CAP = 262144


def test_a_daemon_flooding_its_output_has_its_log_rotated_and_is_reported(project, write):
    write("kin.toml", f"[logs]\nmax_bytes = {CAP}\nkeep = 2\n")
    write("teams/t.toml", '[team]\ncycle = "0.2s"\nstop_timeout = "5s"\n[daemons.flood]\ntype = "flooder"\n'
                          'every = "0.2s"\nmb = 4\nheartbeat = "0.5s"\nstart_seconds = "0.3s"\n')
    run = TeamRun(project, "t", chaos_env("chaos_daemons"))
    logs = project / ".kin" / "logs"
    try:
        wait_for(lambda: "output flood: t.flood.out" in run.output, 120, lambda: f"the flood reported\n{run.output}")
        written = 0
        for _ in range(20):  # it goes on flooding: the files stay bounded (cap, plus what lands between two looks)
            sizes = [p.stat().st_size for p in logs.glob("t.flood.out*")]
            written = max(written, sum(sizes))
            assert sum(sizes) < 3 * CAP + 64 * 2**20, sizes
            wait_for(lambda: True, 0.1)
        assert (logs / "t.flood.out.1").exists() and not (logs / "t.flood.out.3").exists()  # keep = 2
        assert run.daemon("flood")["state"] == "RUNNING" and run.proc.poll() is None
    finally:
        assert run.stop() == 0, run.output[-2000:]
    assert team_processes(project) == []


def test_a_command_flooding_its_output_keeps_a_bounded_tail_in_memory(project, write):
    flood = "import os\nwhile True: os.write(1, b'x' * 65536)"
    command = json.dumps([sys.executable, "-c", flood])
    write("teams/t.toml", f'[team]\ncycle = "0.2s"\n[daemons.cmd]\ntype = "command"\ncommand = {command}\n'
                          'timeout = "4s"\nevery = "1h"\nheartbeat = "0.5s"\nstart_seconds = "0.3s"\n')
    run = TeamRun(project, "t", chaos_env())
    try:
        daemon = wait_for(lambda: (d := run.daemon("cmd")) and d["state"] == "RUNNING" and d, 60, "cmd RUNNING")
        runner = psutil.Process(daemon["pid"])
        peak = 0
        for _ in range(30):  # while the command floods gigabytes, the runner's memory stays flat
            peak = max(peak, runner.memory_info().rss)
            wait_for(lambda: True, 0.1)
        assert peak < 200 * 2**20, peak
        wait_for(lambda: "timed out" in (run.daemon("cmd") or {}).get("progress", ""), 60, "the timeout")
        assert run.daemon("cmd")["state"] == "RUNNING"
    finally:
        assert run.stop() == 0
