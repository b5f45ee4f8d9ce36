"""The write gate with real files and real processes: no lost update, no torn file, leases that a death breaks."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from shadeos_agents.gate import EditFailed, WriteGate
from shadeos_agents.leases import Leases
from shadeos_agents.policy import PathPolicy, Refused
from shadeos_core.testing import wait_for
from shadeos_core.workspace import Workspace

WORKER = Path(__file__).resolve().parent / "gate_worker.py"


def gate_of(project: Path, holder: str = "t.a", **kw) -> WriteGate:
    workspace = Workspace(project)
    return WriteGate(PathPolicy(workspace, files=kw.pop("files", None)), Leases(workspace, holder), **kw)


def worker(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(WORKER), str(project), *args], text=True, stdout=subprocess.PIPE,
                            env={**os.environ, **(env or {})})


def test_an_edit_on_a_file_changed_since_it_was_read_is_applied_to_the_new_content(project):
    (project / "shared.py").write_text("a = 1\nb = 2\n")
    mine, other = gate_of(project, "t.mine"), gate_of(project, "t.other")
    mine.read("shared.py")
    other.read("shared.py")
    other.edit("shared.py", "a = 1\n", "a = 10\n")
    conflicts = []
    mine.on_conflict = lambda kind, rel, who: conflicts.append((kind, rel))
    edit = mine.edit("shared.py", "b = 2\n", "b = 20\n")
    assert edit.reapplied is True
    assert (project / "shared.py").read_text() == "a = 10\nb = 20\n"  # both changes: no lost update
    assert conflicts == [("stale", "shared.py")]


def test_an_edit_whose_text_another_agent_changed_fails_and_says_to_read_again(project):
    (project / "shared.py").write_text("a = 1\n")
    mine, other = gate_of(project, "t.mine"), gate_of(project, "t.other")
    mine.read("shared.py")
    other.edit("shared.py", "a = 1\n", "a = 2\n")
    with pytest.raises(EditFailed, match="the file changed since you read it: read it again"):
        mine.edit("shared.py", "a = 1\n", "a = 3\n")
    assert (project / "shared.py").read_text() == "a = 2\n"
    assert mine.edits[-1].outcome == "failed"


def test_a_whole_file_write_over_a_changed_file_is_refused_with_the_new_content(project):
    (project / "notes.md").write_text("v1\n")
    mine, other = gate_of(project, "t.mine"), gate_of(project, "t.other")
    mine.read("notes.md")
    other.read("notes.md")
    other.write("notes.md", "v2 by other\n")
    with pytest.raises(EditFailed) as info:
        mine.write("notes.md", "v3 by mine\n")
    assert "changed since you read it" in str(info.value) and "v2 by other" in str(info.value)
    assert (project / "notes.md").read_text() == "v2 by other\n"
    mine.write("notes.md", "v2 by other\nv3 by mine\n")  # redone on the content it was shown: accepted
    assert (project / "notes.md").read_text() == "v2 by other\nv3 by mine\n"


def test_a_whole_file_write_over_an_unread_file_asks_to_read_it_first(project):
    (project / "x.txt").write_text("keep\n")
    with pytest.raises(EditFailed, match="you have not read it"):
        gate_of(project).write("x.txt", "gone\n")
    assert (project / "x.txt").read_text() == "keep\n"


def test_a_refused_write_leaves_nothing_anywhere(project, tmp_path):
    gate = gate_of(project, files=["src/**"])
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for path in ("../escape.txt", "/tmp/abs.txt", ".git/x", ".kin/x", ".env", "outside.txt", ".luciorbe.t.x"):
        with pytest.raises(Refused):
            gate.write(path, "data\n")
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert after == before
    assert [e.outcome for e in gate.edits] == ["refused"] * 7


def test_the_file_mode_is_kept_and_the_write_is_whole(project):
    script = project / "run.sh"
    script.write_text("#!/bin/sh\necho 1\n")
    script.chmod(0o755)
    gate = gate_of(project)
    gate.edit("run.sh", "echo 1\n", "echo 2\n")
    assert script.read_text() == "#!/bin/sh\necho 2\n" and script.stat().st_mode & 0o777 == 0o755
    assert [p.name for p in project.iterdir() if p.name.endswith(".tmp")] == []


def test_a_writer_waits_for_a_live_holder_and_is_seen_waiting(project):
    holder = worker(project, "t.holder", "busy.txt", "1.5")
    assert holder.stdout.readline().strip() == "held"
    seen = []
    gate = gate_of(project, "t.waiter", on_file=lambda rel: seen.append(rel))
    conflicts = []
    gate.on_conflict = lambda kind, rel, who: conflicts.append((kind, rel, who))
    gate.edit("busy.txt", "", "after the holder\n")
    assert holder.wait(10) == 0
    assert conflicts == [("lease", "busy.txt", "t.holder")]
    assert seen == ["busy.txt", ""]  # current_file named the file while waiting, cleared after
    assert gate.edits[-1].waited_for == "t.holder"


def test_a_writer_gives_up_after_the_wait_and_writes_nothing(project):
    holder = worker(project, "t.holder", "busy.txt", "5")
    assert holder.stdout.readline().strip() == "held"
    try:
        with pytest.raises(EditFailed, match="busy.txt is being written by t.holder"):
            gate_of(project, "t.waiter", lease_wait=0.3).edit("busy.txt", "", "x\n")
        assert not (project / "busy.txt").exists()
    finally:
        holder.kill()
        holder.wait()


def test_a_writer_killed_mid_write_leaves_the_old_file_whole_and_its_lease_is_broken(project):
    target = project / "data.txt"
    target.write_text("old content\n")
    victim = worker(project, "t.victim", "data.txt", "0", "write", "new content\n",
                    env={"KIN_AGENTS_PAUSE_BEFORE_REPLACE": "30"})
    temp = wait_for(lambda: next(iter(project.glob(".data.txt.*.kin.tmp")), None), 20, "the temporary file")
    assert temp.read_text() == "new content\n"  # written whole, not yet in place
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert target.read_text() == "old content\n"  # never torn
    gate = gate_of(project, "t.next")
    edit = gate.edit("data.txt", "old content\n", "next content\n")
    assert edit.broke_lease_of == "t.victim"
    assert target.read_text() == "next content\n"
    assert not temp.exists()  # the dead writer's temporary file went with its lease


def test_a_sweep_at_start_breaks_leases_of_dead_holders_only(project):
    victim = worker(project, "t.victim", "a.txt", "0", "write", "x\n", env={"KIN_AGENTS_PAUSE_BEFORE_REPLACE": "30"})
    wait_for(lambda: any(project.glob(".a.txt.*.kin.tmp")), 20, "the temporary file")
    victim.kill()
    victim.wait()
    live = worker(project, "t.live", "b.txt", "3")
    assert live.stdout.readline().strip() == "held"
    try:
        broken = Leases(Workspace(project), "t.sweeper").sweep()
        assert [r["holder"] for r in broken] == ["t.victim"]
        assert not any(project.glob(".a.txt.*.kin.tmp"))
    finally:
        live.kill()
        live.wait()


def test_many_writers_in_many_processes_lose_no_line(project):
    """Twenty processes append a line each to one file through their own gates, all at once."""
    (project / "log.txt").write_text("")
    code = ("import sys\nfrom shadeos_agents.gate import WriteGate\nfrom shadeos_agents.leases import Leases\n"
            "from shadeos_agents.policy import PathPolicy\nfrom shadeos_core.workspace import Workspace\n"
            "ws = Workspace(sys.argv[1]); g = WriteGate(PathPolicy(ws), Leases(ws, 't.w' + sys.argv[2]))\n"
            "while True:\n"
            "    rel, text = g.read('log.txt')\n"
            "    try:\n"
            "        g.write('log.txt', text + 'line ' + sys.argv[2] + '\\n'); break\n"
            "    except Exception as exc:\n"
            "        if 'changed since you read it' not in str(exc): raise\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(project), str(i)]) for i in range(20)]
    assert [p.wait(60) for p in procs] == [0] * 20
    lines = (project / "log.txt").read_text().splitlines()
    assert sorted(lines) == sorted(f"line {i}" for i in range(20))
