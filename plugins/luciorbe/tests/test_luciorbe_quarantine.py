"""Soft purge into .kin/quarantine/, its expiry, --hard and --dry-run."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from luciorbe_testkit import plant, start_time

from shadeos_core.fsio import atomic_write_json, read_json
from shadeos_core.workspace import Workspace
from shadeos_luciorbe import guard
from shadeos_luciorbe.janitor import LuciorbeJanitor

QUARANTINE = Path(".kin") / "quarantine" / "luciorbes"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_stale_and_malformed_go_to_quarantine_with_their_origin(project: Path, procs, kin) -> None:
    child = procs.keeper(project, "t.live", project)
    stale = plant(project / "src", "t.sleepy", pid=child.pid, pid_started=start_time(child.pid), age=3600)
    broken = project / "docs" / ".luciorbe.t.broken"
    broken.parent.mkdir()
    broken.write_text("{oops")
    stale_bytes = stale.read_bytes()

    before = tree(project)
    dry = kin("luciorbe", "clean", "--dry-run", cwd=project, check=True).stdout
    assert "would quarantine" in dry and "src/.luciorbe.t.sleepy" in dry and "nothing changed" in dry
    assert tree(project) == before

    done = json.loads(kin("luciorbe", "clean", "--json", cwd=project, check=True).stdout)
    actions = {c["path"]: c["action"] for c in done}
    assert actions == {".luciorbe.t.live": "none", "src/.luciorbe.t.sleepy": "quarantined",
                       "docs/.luciorbe.t.broken": "quarantined"}
    assert not stale.exists() and not broken.exists() and (project / ".luciorbe.t.live").exists()

    sidecars = {read_json(p)["original_path"]: p for p in (project / QUARANTINE).glob("*.json")}
    assert set(sidecars) == {"src/.luciorbe.t.sleepy", "docs/.luciorbe.t.broken"}
    record = read_json(sidecars["src/.luciorbe.t.sleepy"])
    assert record["state"] == "stale" and record["daemon_id"] == "t.sleepy"
    assert sidecars["src/.luciorbe.t.sleepy"].with_suffix(".luciorbe").read_bytes() == stale_bytes
    moved_to = [c["quarantined_to"] for c in done if c["path"] == "src/.luciorbe.t.sleepy"][0]
    assert (project / moved_to).read_bytes() == stale_bytes
    # quarantined files are not luciorbes any more: the next pass finds only the live one
    assert [c.path for c in LuciorbeJanitor(Workspace(project)).scan()] == [".luciorbe.t.live"]


def test_quarantine_items_expire(project: Path, write) -> None:
    for name in ("old", "new"):
        (project / f".luciorbe.t.{name}").write_text("not json")
    LuciorbeJanitor(Workspace(project)).clean()
    sidecars = {read_json(p)["original_path"]: p for p in (project / QUARANTINE).glob("*.json")}
    assert set(sidecars) == {".luciorbe.t.old", ".luciorbe.t.new"}
    # Quarantined eight days ago, by its record: past the default seven-day expiry.
    old = sidecars[".luciorbe.t.old"]
    atomic_write_json(old, {**read_json(old), "quarantined_ts": time.time() - 8 * 86400})

    dry = LuciorbeJanitor(Workspace(project)).clean(dry_run=True)
    assert [(c.state, c.data["original_path"]) for c in dry if c.state == "expired"] == [("expired", ".luciorbe.t.old")]
    assert old.exists()

    LuciorbeJanitor(Workspace(project)).clean()
    left = sorted(p.name for p in (project / QUARANTINE).iterdir())
    assert len(left) == 2 and all(name.startswith(sidecars[".luciorbe.t.new"].stem) for name in left)

    write("kin.toml", '[luciorbe]\nquarantine_expiry = "0s"\n')  # the expiry in force applies to every item
    expired = [c for c in LuciorbeJanitor(Workspace(project)).clean() if c.state == "expired"]
    assert [c.data["original_path"] for c in expired] == [".luciorbe.t.new"]
    assert list((project / QUARANTINE).iterdir()) == []


def test_hard_deletes_stale_and_malformed_instead(project: Path, procs, kin) -> None:
    child = procs.keeper(project, "t.live", project)
    stale = plant(project, "t.sleepy", pid=child.pid, pid_started=start_time(child.pid), age=3600)
    broken = project / ".luciorbe.t.broken"
    broken.write_text("[1, 2")
    out = kin("luciorbe", "clean", "--hard", cwd=project, check=True).stdout
    assert "2 removed" in out
    assert not stale.exists() and not broken.exists()
    assert not (project / QUARANTINE).exists() or not any((project / QUARANTINE).iterdir())


def test_a_luciorbe_rewritten_between_scan_and_clean_is_left_alone(project: Path, procs) -> None:
    child = procs.keeper(project, "t.live", project)
    path = plant(project, "t.sleepy", pid=child.pid, pid_started=start_time(child.pid), age=3600)
    janitor = LuciorbeJanitor(Workspace(project))
    sightings = {s.name: s for s in janitor.sightings()}
    assert sightings[".luciorbe.t.sleepy"].state == "stale"
    # The daemon wakes up and beats (an atomic rewrite) after the scan: the janitor must not purge it.
    plant(project, "t.sleepy", pid=child.pid, pid_started=start_time(child.pid), age=0)
    fresh = path.read_bytes()
    with pytest.raises(guard.Changed, match="rewritten"):
        guard.remove(sightings[".luciorbe.t.sleepy"])
    assert path.read_bytes() == fresh
    done = {c.path: c for c in janitor.clean()}  # a fresh scan sees it alive
    assert done[".luciorbe.t.sleepy"].state == "alive" and path.read_bytes() == fresh


def test_bad_configuration_is_one_clear_line(project: Path, write, kin) -> None:
    write("kin.toml", '[luciorbe]\nstale_afer = "3s"\n')
    proc = kin("luciorbe", "list", cwd=project)
    assert proc.returncode == 2 and "stale_after" in proc.stderr and "kin.toml" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    write("kin.toml", '[luciorbe]\nquarantine_expiry = "a week"\n')
    proc = kin("luciorbe", "clean", cwd=project)
    assert proc.returncode == 2 and "quarantine_expiry" in proc.stderr and "Traceback" not in proc.stderr
