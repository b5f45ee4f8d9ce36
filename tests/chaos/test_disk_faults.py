"""A disk that fills up under a running team: supervision goes on, the fault is said once, nothing is lost,
and everything comes back by itself once there is room again. The project lives on a small tmpfs."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from chaos_kit import chaos_env

from shadeos_core.testing import TeamRun, team_processes, wait_for


@pytest.fixture
def small_disk(tmp_path: Path):
    mount = tmp_path / "project"  # the project is the small disk; kin's own output goes beside it
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(directory: Path) -> Path:
    filler = directory / "filler.bin"
    with open(filler, "wb") as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
            os.fsync(handle.fileno())
    return filler


def test_a_full_disk_is_said_once_supervision_goes_on_and_all_recovers(small_disk, tmp_path):
    project = small_disk
    (project / "kin.toml").write_text("")
    (project / "teams").mkdir()
    (project / "teams/t.toml").write_text('[team]\ncycle = "0.2s"\nstop_timeout = "5s"\n[daemons.rec]\n'
                                          'type = "recorder"\nevery = "0.3s"\nheartbeat = "0.5s"\n'
                                          'start_seconds = "0.3s"\n')
    run = TeamRun(project, "t", chaos_env("sampledaemons"))
    try:
        first = wait_for(lambda: (d := run.daemon("rec")) and d["state"] == "RUNNING" and d, 60, "rec RUNNING")
        records = project / "rec.jsonl"
        wait_for(lambda: records.exists() and records.stat().st_size > 0, 30, "records")
        filler = fill(small_disk)
        before = records.read_text().count("\n")
        wait_for(lambda: "No space left on device" in run.output, 30, lambda: f"the fault said\n{run.output}")
        os.kill(first["pid"], signal.SIGKILL)  # a daemon dies while the disk is full: kept, not FATAL
        time.sleep(5)  # supervision runs into the full disk for a while: restarts, state, records, logs
        assert run.proc.poll() is None and "FATAL" not in run.output, run.output  # the orchestrator lives on
        filler.unlink()
        back = wait_for(lambda: (d := run.daemon("rec")) and d["state"] == "RUNNING" and d["pid"] != first["pid"]
                        and d, 60, lambda: f"the daemon back once there is room\n{run.output}")
        assert back["restarts"] >= 1
        wait_for(lambda: records.read_text().count("\n") > before + 2, 30, "the records going on")
        for line in records.read_text().splitlines():
            json.loads(line)  # every record written whole: none torn by the full disk
        lines = [line for line in run.output.splitlines() if "No space left on device" in line]
        assert len(lines) <= 3, lines  # said once per place, not once per try
        assert "writable again" in run.output
    finally:
        code = run.stop(timeout=60)
    assert code == 0, run.output[-3000:]
    assert team_processes(project) == []
