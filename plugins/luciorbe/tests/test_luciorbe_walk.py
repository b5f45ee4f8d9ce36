"""The walk's safety rules: no symlink followed, exact names only, one file system, no .git/, files that vanish."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from luciorbe_testkit import plant, wait_for

from shadeos_core.luciorbe_guard import clean_record
from shadeos_core.luciorbe_record import read_record, record_path
from shadeos_core.workspace import Workspace
from shadeos_luciorbe.janitor import LuciorbeJanitor

DEAD_PID = 2**22 + 11  # above the default pid_max: no process has it


def found(project: Path, **options) -> dict[str, str]:
    return {c.path: c.state for c in LuciorbeJanitor(Workspace(project), options).scan()}


def test_a_symlinked_luciorbe_to_outside_survives_untouched(project: Path, tmp_path: Path, kin) -> None:
    outside = tmp_path / "outside"
    target = plant(outside, "t.victim", pid=DEAD_PID, pid_started=1.0, age=99999)  # dead if it were read
    before = (target.read_bytes(), target.stat().st_mtime_ns)
    (project / "sub").mkdir()
    link = project / "sub" / ".luciorbe.t.victim"
    link.symlink_to(target)

    listed = json.loads(kin("luciorbe", "list", "--json", cwd=project, check=True).stdout)
    assert [(r["path"], r["state"]) for r in listed] == [("sub/.luciorbe.t.victim", "foreign")]
    assert "symlink" in listed[0]["detail"] and listed[0]["daemon_id"] == "t.victim"

    done = json.loads(kin("luciorbe", "clean", "--hard", "--json", cwd=project, check=True).stdout)
    assert [(c["path"], c["action"]) for c in done] == [("sub/.luciorbe.t.victim", "reported")]
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert (target.read_bytes(), target.stat().st_mtime_ns) == before


def test_a_symlinked_directory_is_not_entered(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    victim = plant(elsewhere, "t.victim", pid=DEAD_PID, pid_started=1.0)
    (project / "link").symlink_to(elsewhere, target_is_directory=True)
    assert found(project) == {}
    LuciorbeJanitor(Workspace(project)).clean(hard=True)
    assert victim.exists()


def test_only_exact_names_and_regular_files_are_luciorbes(project: Path) -> None:
    garbage = b"garbage"
    near_misses = [".luciorbex", ".luciorbe.", ".luciorbe.t.x.tmp", "x.luciorbe.t", "luciorbe.t", ".Luciorbe.t"]
    for name in near_misses:
        (project / name).write_bytes(garbage)
    (project / ".luciorbe.t.dir").mkdir()
    os.mkfifo(project / ".luciorbe.t.fifo")
    states = found(project)
    assert states == {".luciorbe.t.dir": "foreign", ".luciorbe.t.fifo": "foreign"}
    LuciorbeJanitor(Workspace(project)).clean(hard=True)
    assert all((project / name).read_bytes() == garbage for name in near_misses)
    assert (project / ".luciorbe.t.dir").is_dir() and (project / ".luciorbe.t.fifo").exists()


def test_git_and_kin_directories_and_configured_names_are_skipped(project: Path, write) -> None:
    for sub in (".git/objects", "vendor/.git", "node_modules/pkg", "src"):
        plant(project / sub, "t.gone", pid=DEAD_PID, pid_started=1.0)
    (project / ".kin" / "state").mkdir(parents=True)
    plant(project / ".kin" / "state", "t.gone", pid=DEAD_PID, pid_started=1.0)
    assert set(found(project)) == {"node_modules/pkg/.luciorbe.t.gone", "src/.luciorbe.t.gone"}
    write("kin.toml", '[luciorbe]\nskip = ["node_modules"]\n')
    assert set(found(project)) == {"src/.luciorbe.t.gone"}


def test_the_walk_does_not_cross_into_another_file_system(project: Path) -> None:
    mnt = project / "mnt"
    mnt.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "kin-test", str(mnt)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        inner = plant(mnt / "deeper", "t.gone", pid=DEAD_PID, pid_started=1.0)
        plant(project / "here", "t.gone", pid=DEAD_PID, pid_started=1.0)
        assert found(project) == {"here/.luciorbe.t.gone": "dead"}
        LuciorbeJanitor(Workspace(project)).clean()
        assert inner.exists() and not (project / "here" / ".luciorbe.t.gone").exists()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_files_and_directories_vanishing_mid_scan_are_tolerated(project: Path) -> None:
    stop = threading.Event()
    churn_errors: list[BaseException] = []

    def churn() -> None:
        n = 0
        try:
            while not stop.is_set():
                n += 1
                sub = project / f"churn{n % 7}"
                plant(sub / "a" / "b", f"t.c{n % 5}", pid=DEAD_PID, pid_started=1.0)
                (project / f".luciorbe.t.flip{n % 3}").write_text("{}")
                shutil.rmtree(project / f"churn{(n + 3) % 7}", ignore_errors=True)
                (project / f".luciorbe.t.flip{(n + 1) % 3}").unlink(missing_ok=True)
        except BaseException as exc:  # surfaced below
            churn_errors.append(exc)

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        wait_for(lambda: any(project.glob("churn*")), what="the churn to start")
        for _ in range(30):
            janitor = LuciorbeJanitor(Workspace(project))
            for cleanup in janitor.clean(hard=True):
                assert cleanup.state in {"dead", "malformed", "expired"}
    finally:
        stop.set()
        worker.join(timeout=20)
    assert not churn_errors


def test_the_fast_path_finds_recorded_luciorbes_without_walking(project: Path, procs) -> None:
    (project / "deep").mkdir()
    procs.keeper(project, "t.recorded", project / "deep", mode="exit")
    plant(project / "other", "t.unrecorded", pid=DEAD_PID, pid_started=1.0)
    assert found(project, full=False) == {"deep/.luciorbe.t.recorded": "dead"}
    assert found(project, full=True) == {"deep/.luciorbe.t.recorded": "dead", "other/.luciorbe.t.unrecorded": "dead"}


def test_a_record_never_leads_outside_the_workspace_or_to_other_files(project: Path, tmp_path: Path) -> None:
    outside = plant(tmp_path / "outside", "t.x", pid=DEAD_PID, pid_started=1.0)
    precious = project / "precious.txt"
    precious.write_text("keep me")
    records = project / ".kin" / "run" / "luciorbes"
    records.mkdir(parents=True)
    (records / "t.x.json").write_text(json.dumps({"daemon_id": "t.x", "pid": DEAD_PID, "pid_started": 1.0,
                                                  "paths": [str(outside), str(precious), "../../etc/.luciorbe"]}))
    assert found(project, full=False) == {}
    LuciorbeJanitor(Workspace(project), {"full": False}).clean(hard=True)
    assert outside.exists() and precious.read_text() == "keep me"


def test_the_orchestrators_cleanup_refuses_what_the_janitor_refuses(project: Path, tmp_path: Path) -> None:
    outside = plant(tmp_path / "outside", "t.x", pid=DEAD_PID, pid_started=1.0)
    precious = project / "precious.txt"
    precious.write_text("keep me")
    mine = plant(project / "sub", "t.x", pid=DEAD_PID, pid_started=1.0)
    records = project / ".kin" / "run" / "luciorbes"
    records.mkdir(parents=True)
    listed = [str(outside), str(precious), "../../etc/.luciorbe", str(mine)]
    (records / "t.x.json").write_text(json.dumps({"daemon_id": "t.x", "pid": DEAD_PID, "pid_started": 1.0,
                                                  "paths": listed}))
    workspace = Workspace(project)
    assert found(project, full=False) == {"sub/.luciorbe.t.x": "dead"}  # the one the janitor would act on
    done = clean_record(workspace, read_record(record_path(workspace, "t.x")))
    assert done.removed == [str(mine)] and set(done.refused) == set(listed) - {str(mine)}
    assert outside.exists() and precious.read_text() == "keep me" and not mine.exists()


def test_list_under_a_path_and_outside_the_workspace(project: Path, tmp_path: Path, kin) -> None:
    plant(project / "a", "t.one", pid=DEAD_PID, pid_started=1.0)
    plant(project / "b", "t.two", pid=DEAD_PID, pid_started=1.0)
    listed = json.loads(kin("luciorbe", "list", "a", "--json", cwd=project, check=True).stdout)
    assert [r["path"] for r in listed] == ["a/.luciorbe.t.one"]
    outside = kin("luciorbe", "list", str(tmp_path), cwd=project)
    assert outside.returncode == 2
    assert "outside the workspace" in outside.stderr and "Traceback" not in outside.stderr
