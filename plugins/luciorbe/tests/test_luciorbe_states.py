"""Each of the five states, produced by real processes and real files."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from luciorbe_testkit import plant, start_time, wait_for

from shadeos_core.workspace import Workspace
from shadeos_luciorbe.janitor import LuciorbeJanitor


def states(project: Path) -> dict[str, tuple[str, str]]:
    """``{relative path: (state, detail)}`` of every luciorbe the janitor finds."""
    return {c.path: (c.state, c.detail) for c in LuciorbeJanitor(Workspace(project)).scan()}


def test_a_live_child_is_alive_and_dead_once_killed(project: Path, procs, kin) -> None:
    work = project / "src"
    work.mkdir()
    child = procs.keeper(project, "t.builder", work)
    listed = json.loads(kin("luciorbe", "list", "--json", cwd=project, check=True).stdout)
    mine = [row for row in listed if row["path"] == "src/.luciorbe.t.builder"]
    assert len(mine) == 1
    row = mine[0]
    assert row["state"] == "alive"
    assert row["daemon_id"] == "t.builder" and row["pid"] == child.pid
    assert row["task"] == "testing the janitor" and row["progress"] == "1/2"
    assert row["last_update"].endswith("Z")

    child.kill()
    child.wait(timeout=20)
    state, detail = states(project)["src/.luciorbe.t.builder"]
    assert state == "dead" and "gone" in detail


def test_a_finished_process_leaves_a_dead_luciorbe_that_clean_removes(project: Path, procs, kin) -> None:
    procs.keeper(project, "t.quitter", project, mode="exit")
    path = project / ".luciorbe.t.quitter"
    assert path.exists()
    assert states(project)[".luciorbe.t.quitter"][0] == "dead"

    done = json.loads(kin("luciorbe", "clean", "--json", cwd=project, check=True).stdout)
    removed = [c for c in done if c["path"] == ".luciorbe.t.quitter"]
    assert removed and removed[0]["action"] == "removed" and removed[0]["state"] == "dead"
    assert not path.exists()
    # the dead daemon's record under .kin/run/ goes with its last luciorbe
    assert not (project / ".kin" / "run" / "luciorbes" / "t.quitter.json").exists()


def test_a_reused_pid_is_dead(project: Path, procs) -> None:
    child = procs.keeper(project, "t.live", project)  # a real process holds the pid
    plant(project, "t.ghost", pid=child.pid, pid_started=start_time(child.pid) - 1000)
    found = states(project)
    assert found[".luciorbe.t.live"][0] == "alive"
    state, detail = found[".luciorbe.t.ghost"]
    assert state == "dead" and "another process" in detail


def test_a_zombie_owner_is_dead(project: Path, procs) -> None:
    child = procs.keeper(project, "t.zombie", project, mode="stay")
    import psutil

    os.kill(child.pid, 9)
    # Not reaped yet: the child is a zombie until wait() is called.
    wait_for(lambda: psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE, what="a zombie")
    state, detail = states(project)[".luciorbe.t.zombie"]
    assert state == "dead" and "zombie" in detail


def test_an_old_last_update_is_stale_with_thresholds_from_kin_toml(project: Path, procs, write) -> None:
    child = procs.keeper(project, "t.live", project)
    plant(project / "a", "t.silent", pid=child.pid, pid_started=start_time(child.pid), age=3600, heartbeat_s=5)
    plant(project / "b", "t.agent", pid=child.pid, pid_started=start_time(child.pid), age=120,
          daemon_type="agent", heartbeat_s=5)
    found = states(project)
    assert found["a/.luciorbe.t.silent"][0] == "stale"
    assert "silent for" in found["a/.luciorbe.t.silent"][1]
    assert found["b/.luciorbe.t.agent"][0] == "stale"  # 120s > 3 x 5s
    write("kin.toml", """
        [luciorbe]
        stale_after = "2h"
        [luciorbe.stale_after_by_type]
        agent = "1m"
    """)
    found = states(project)
    assert found["a/.luciorbe.t.silent"][0] == "alive"  # global threshold 2h beats 3 x heartbeat
    assert found["b/.luciorbe.t.agent"][0] == "stale"  # the per-type threshold wins over the global one


def test_another_host_is_judged_by_age_only(project: Path) -> None:
    plant(project, "t.remote", pid=1, pid_started=1.0, host="elsewhere.invalid", age=1)
    plant(project / "x", "t.remote2", pid=1, pid_started=1.0, host="elsewhere.invalid", age=3600)
    found = states(project)
    assert found[".luciorbe.t.remote"][0] == "alive"
    state, detail = found["x/.luciorbe.t.remote2"]
    assert state == "stale" and "elsewhere.invalid" in detail


def test_garbage_and_wrong_schema_are_malformed(project: Path) -> None:
    (project / ".luciorbe.t.garbage").write_bytes(b"{not json at all\xff")
    (project / ".luciorbe.t.schema").write_text(json.dumps({"schema": 99, "daemon_id": "t.schema"}))
    (project / ".luciorbe").write_text("[]")
    found = states(project)
    assert found[".luciorbe.t.garbage"][0] == "malformed"
    assert "schema" in found[".luciorbe.t.schema"][1] and found[".luciorbe.t.schema"][0] == "malformed"
    assert found[".luciorbe"][0] == "malformed"


def test_a_name_that_disagrees_with_its_content_is_malformed(project: Path, procs) -> None:
    child = procs.keeper(project, "t.real", project)
    planted = plant(project, "t.real", pid=child.pid, pid_started=start_time(child.pid))
    planted.rename(project / ".luciorbe.t.other")
    state, detail = states(project)[".luciorbe.t.other"]
    assert state == "malformed" and "t.real" in detail


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another uid needs root")
def test_a_file_of_another_uid_is_foreign_and_never_touched(project: Path, kin) -> None:
    path = plant(project, "t.theirs", pid=2**22 + 7, pid_started=1.0, age=99999)  # dead by every rule
    os.chown(path, 65534, 65534)
    before = path.read_bytes()
    state, detail = states(project)[".luciorbe.t.theirs"]
    assert state == "foreign" and "uid 65534" in detail
    done = json.loads(kin("luciorbe", "clean", "--hard", "--json", cwd=project, check=True).stdout)
    assert [c["action"] for c in done if c["path"] == ".luciorbe.t.theirs"] == ["reported"]
    assert path.read_bytes() == before and path.stat().st_uid == 65534


def test_clean_never_touches_alive_even_hard(project: Path, procs, kin) -> None:
    work = project / "deep" / "er"
    work.mkdir(parents=True)
    procs.keeper(project, "t.busy", work)
    path = work / ".luciorbe.t.busy"
    before = path.stat()
    out = kin("luciorbe", "clean", "--hard", cwd=project, check=True).stdout
    assert "1 alive left alone" in out
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
