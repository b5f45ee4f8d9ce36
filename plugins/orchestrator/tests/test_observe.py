"""What the cycle reads, on real files and real processes: luciorbes re-read only on change, cpu and
memory read a share at a time (the clock is handed in, so nothing here depends on how fast it runs)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from shadeos_core.luciorbe import LuciorbeKeeper
from shadeos_core.testing import kill_group, wait_for
from shadeos_core.workspace import Workspace
from shadeos_orchestrator.observe import LuciorbeReader, Resources


def test_each_process_is_read_about_once_per_period_never_all_in_one_later_call():
    procs = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
             for _ in range(10)]
    try:
        pids = [p.pid for p in procs]
        # a process caught between fork and exec has no resident memory yet: wait until each runs its sleep
        wait_for(lambda: all(b"time.sleep" in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids), 30,
                 "the sleepers to start")
        res = Resources(period=1.0)
        res.update(pids, now=100.0)  # the first call reads everyone: there is nothing to show yet
        assert all(res.values[pid][1] and res.values[pid][1] > 0 for pid in pids)
        assert all(res.values[pid][0] is None for pid in pids)  # cpu needs two readings
        res.update(pids, now=100.2)
        assert all(res.values[pid][0] is None for pid in pids)  # nobody is due yet
        res.update(pids, now=101.0)  # all are due, but 0.8 s since the last call buys 8 of 10
        read = [pid for pid in pids if res.values[pid][0] is not None]
        assert len(read) == 8 and all(res.values[pid][0] >= 0.0 for pid in read)
        res.update(pids, now=101.1)  # 0.1 s buys one more
        assert sum(res.values[pid][0] is not None for pid in pids) == 9
        res.update(pids, now=101.2)
        assert all(res.values[pid][0] is not None for pid in pids)
        procs[0].kill()
        procs[0].wait()
        res.update(pids[1:], now=102.5)
        assert pids[0] not in res.values and len(res.values) == 9
    finally:
        for proc in procs:
            kill_group(proc)


def test_the_reader_sees_new_changed_and_removed_luciorbes_and_says_when_a_reader_would_see_it(project):
    workspace = Workspace.find(project)
    reader = LuciorbeReader(workspace, ["t.a"])
    reader.refresh()
    assert reader.read("t.a") == [] and reader.changed is False
    keeper = LuciorbeKeeper(workspace, "t.a", team="t")
    handle = keeper.open(".", task="parsing", status="processing")
    reader.refresh()
    [seen] = reader.read("t.a")
    assert seen.luciorbe.task == "parsing" and reader.changed is True
    reader.changed = False
    handle.beat()  # a heartbeat only: the age changes, nothing a reader of the state would see otherwise
    reader.refresh()
    [again] = reader.read("t.a")
    assert again.updated >= seen.updated and reader.changed is False
    handle.update(progress="3/10", current_file="src/x.py")
    reader.refresh()
    [third] = reader.read("t.a")
    assert (third.luciorbe.progress, third.luciorbe.current_file) == ("3/10", "src/x.py") and reader.changed is True
    reader.changed = False
    for _ in range(3):  # settled: the records are trusted without a stat each, and still nothing changed
        reader.refresh()
        assert len(reader.read("t.a")) == 1 and reader.changed is False
    (project / "src").mkdir()
    second = keeper.open("src", task="indexing")  # a new record: the directory changed, it is read again
    reader.refresh()
    assert {s.path for s in reader.read("t.a")} == {handle.path, second.path} and reader.changed is True
    keeper.release_all()
    reader.refresh()
    assert reader.read("t.a") == [] and not os.path.exists(handle.path)
