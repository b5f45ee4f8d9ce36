"""The one guarded removal of recorded luciorbes: only a dead daemon's own luciorbes, inside the workspace,
still the files that were looked at."""
import os
from collections.abc import Sequence
from pathlib import Path

from shadeos_core import Workspace
from shadeos_core.fsio import atomic_write_json
from shadeos_core.luciorbe import Luciorbe, iso_now, luciorbe_path
from shadeos_core.luciorbe_guard import Refused, clean_record, locate, remove
from shadeos_core.luciorbe_record import LuciorbeRecord, identity, read_record, read_records, record_path, write_record
from shadeos_core.processes import own_start_time

#: This process with another start time: a pid that was reused, so the owner is dead.
DEAD = (os.getpid(), own_start_time() - 100)
ALIVE = (os.getpid(), own_start_time())


def leave(directory: Path, daemon_id: str, owner: tuple[int, float] = DEAD) -> Path:
    """A luciorbe of ``daemon_id`` in ``directory`` as its owner would have written it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = luciorbe_path(directory, daemon_id)
    atomic_write_json(path, Luciorbe(daemon_id=daemon_id, pid=owner[0], pid_started=owner[1],
                                     last_update=iso_now()).to_json())
    return path


def recorded(workspace: Workspace, daemon_id: str, paths: Sequence[str | Path],
             owner: tuple[int, float] = DEAD) -> LuciorbeRecord:
    """Write the record of ``daemon_id`` listing ``paths``, and read it back as a janitor would."""
    write_record(workspace, LuciorbeRecord(record_path(workspace, daemon_id), daemon_id, *owner,
                                           [str(p) for p in paths]))
    return read_record(record_path(workspace, daemon_id))


def test_a_dead_daemons_luciorbes_and_record_are_removed(project: Path) -> None:
    workspace = Workspace(project)
    mine = [leave(project, "t.a"), leave(project / "src" / "deep", "t.a")]
    record = recorded(workspace, "t.a", mine)
    done = clean_record(workspace, record)
    assert sorted(done.removed) == sorted(map(str, mine)) and done.refused == {} and done.record_removed
    assert not any(p.exists() for p in mine) and not record.file.exists()


def test_a_path_outside_the_workspace_is_refused(project: Path, tmp_path: Path) -> None:
    workspace = Workspace(project)
    outside = leave(tmp_path / "outside", "t.a")
    (project / "link").symlink_to(tmp_path / "outside")  # inside by its name, outside once resolved
    done = clean_record(workspace, recorded(workspace, "t.a", [outside, project / "link" / ".luciorbe.t.a"]))
    assert done.removed == [] and len(done.refused) == 2
    assert all("inside the workspace" in why for why in done.refused.values())
    assert outside.exists()
    assert locate(str(outside), str(project)) is None


def test_a_file_that_is_not_that_daemons_luciorbe_is_refused(project: Path) -> None:
    workspace = Workspace(project)
    other = leave(project, "t.other")  # a luciorbe, but another daemon's
    precious = project / "precious.txt"
    precious.write_text("keep me")
    bare = project / ".luciorbe"
    bare.write_text("{}")
    tmp = project / ".luciorbe.t.a.tmp"  # a temp file of an atomic write is not a luciorbe
    tmp.write_text("{}")
    listed: list[str | Path] = [other, precious, bare, tmp, ".luciorbe.t.a", "../../etc/.luciorbe.t.a",
                                str(project / "kin.toml")]
    done = clean_record(workspace, recorded(workspace, "t.a", listed))
    assert done.removed == [] and set(done.refused) == set(map(str, listed))
    assert other.exists() and precious.read_text() == "keep me" and bare.exists() and tmp.exists()
    assert (project / "kin.toml").exists()


def test_a_symlink_or_a_directory_under_the_luciorbe_name_is_refused(project: Path, tmp_path: Path) -> None:
    workspace = Workspace(project)
    target = tmp_path / "target.txt"
    target.write_text("keep me")
    (project / "a").mkdir()
    (project / "a" / ".luciorbe.t.a").symlink_to(target)
    (project / "b" / ".luciorbe.t.a").mkdir(parents=True)
    done = clean_record(workspace, recorded(workspace, "t.a", [project / "a" / ".luciorbe.t.a",
                                                               project / "b" / ".luciorbe.t.a"]))
    assert done.removed == [] and len(done.refused) == 2
    assert target.read_text() == "keep me" and (project / "b" / ".luciorbe.t.a").is_dir()


def test_a_record_of_a_live_or_unknown_owner_is_left_whole(project: Path) -> None:
    workspace = Workspace(project)
    luciorbe = leave(project, "t.a")
    record = recorded(workspace, "t.a", [luciorbe], owner=ALIVE)
    done = clean_record(workspace, record)
    assert done.removed == [] and not done.record_removed and "alive" in done.refused[str(luciorbe)]
    assert luciorbe.exists() and record.file.exists()
    record.file.write_text(f'{{"daemon_id": "t.a", "paths": ["{luciorbe}"]}}')  # no pid: who knows
    done = clean_record(workspace, read_record(record.file))
    assert done.removed == [] and not done.record_removed and luciorbe.exists() and record.file.exists()


def test_a_record_that_speaks_for_another_daemon_is_left_whole(project: Path) -> None:
    workspace = Workspace(project)
    theirs = leave(project, "t.b")
    write_record(workspace, LuciorbeRecord(record_path(workspace, "t.a"), "t.b", *DEAD, [str(theirs)]))
    done = clean_record(workspace, read_record(record_path(workspace, "t.a")))
    assert done.removed == [] and not done.record_removed and theirs.exists()


def test_a_luciorbe_a_live_daemon_took_over_is_left(project: Path) -> None:
    workspace = Workspace(project)
    record = recorded(workspace, "t.a", [project / ".luciorbe.t.a"])
    taken = leave(project, "t.a", owner=ALIVE)  # a new incarnation wrote it since the record
    done = clean_record(workspace, record)
    assert done.removed == [] and "keeps it" in done.refused[str(taken)] and taken.exists()


def test_a_record_rewritten_since_it_was_read_is_kept(project: Path) -> None:
    workspace = Workspace(project)
    record = recorded(workspace, "t.a", [])
    fresh = LuciorbeRecord(record.file, "t.a", *ALIVE, [str(project / "somewhere" / ".luciorbe.t.a")])
    write_record(workspace, fresh)
    done = clean_record(workspace, record)
    assert not done.record_removed and read_record(record.file).paths == fresh.paths


def test_removal_refuses_a_file_rewritten_or_a_directory_replaced_since_it_was_looked_at(project: Path) -> None:
    path = leave(project / "d", "t.a")
    seen = identity(os.lstat(path))
    directory = os.stat(project / "d")
    leave(project / "d", "t.a")  # rewritten: a new inode
    try:
        remove(str(path), (directory.st_dev, directory.st_ino), seen)
    except Refused as exc:
        assert "rewritten" in str(exc)
    else:
        raise AssertionError("removed a file rewritten since it was looked at")
    assert path.exists()


def test_records_that_cannot_be_read_have_no_owner_and_no_paths(project: Path) -> None:
    workspace = Workspace(project)
    directory = workspace.state_dir("run", "luciorbes")
    (directory / "t.bad.json").write_text("[1, 2")
    (directory / "t.list.json").write_text('["not", "an", "object"]')
    (directory / "t.typed.json").write_text('{"daemon_id": 7, "pid": "42", "pid_started": true, "paths": [1, "/x"]}')
    by_id = {r.daemon_id: r for r in read_records(workspace)}
    assert set(by_id) == {"t.bad", "t.list", "t.typed"}
    assert all(r.pid is None and r.pid_started is None and r.file_id is not None for r in by_id.values())
    assert by_id["t.typed"].paths == ["/x"] and by_id["t.bad"].paths == []
