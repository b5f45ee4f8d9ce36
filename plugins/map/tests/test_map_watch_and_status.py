"""The map daemon in a running team: what `kin status` says follows phase.json (also between two cycles), and the
daemon's file watch never covers .git/ or .kin/."""
from __future__ import annotations

import json
import os
from pathlib import Path

from map_testing import words, words_env

from shadeos_core.testing import TeamRun, wait_for

TEAM = """[team]
cycle = "0.2s"
[meta.map]
heartbeat = "0.3s"
start_seconds = "0.3s"
debounce = "100ms"
rescan = "1h"
"""


def phase_file(project: Path) -> dict:
    try:
        return json.loads((project / ".kin" / "state" / "phase.json").read_text())
    except (OSError, ValueError):
        return {}


def map_progress(project: Path, kin) -> str:
    state = json.loads(kin("status", "--json", cwd=project, env=words_env()).stdout or "{}")
    return next((d.get("progress") or "" for d in state.get("daemons", []) if d.get("name") == "map"), "")


def described(project: Path, kin, run: TeamRun) -> str:
    """What a failed wait saw: the team's output, what kin status said and the map's luciorbe."""
    status = kin("status", "--json", cwd=project, env=words_env())
    luciorbes = {p.name: p.read_text() for p in project.glob(".luciorbe.*")}
    return f"{run.output}\nkin status (exit {status.returncode}): {status.stdout}{status.stderr}\nluciorbes: {luciorbes}"


def test_kin_status_follows_the_phase_the_watcher_publishes(project, write, kin):
    write("kin.toml", '[map]\nbudget = 1000\nexclude = ["*.toml"]\n')
    write("teams/t.toml", TEAM)
    write("doc.md", words(100))
    run = TeamRun(project, "t", words_env())
    try:
        wait_for(lambda: map_progress(project, kin) == "100 tokens, expansion", 30, lambda: described(project, kin, run))
        write("big.md", words(700))  # 80 % of the budget: convergence, found by the watcher, not by a cycle
        wait_for(lambda: phase_file(project).get("phase") == "convergence", 30, lambda: run.output)
        wait_for(lambda: map_progress(project, kin) == "800 tokens, convergence", 30,
                 lambda: f"kin status to say what phase.json says, not {map_progress(project, kin)!r}")
        assert run.daemon("map")["restarts"] == 0
    finally:
        assert run.stop() == 0, run.output


def _watched_inodes(pid: int) -> set[int]:
    """The inodes of the directories process ``pid`` holds inotify watches on (from /proc/<pid>/fdinfo)."""
    inodes: set[int] = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:inotify":
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                for line in info:
                    if line.startswith("inotify wd:"):
                        fields = dict(part.split(":", 1) for part in line.split()[1:])
                        inodes.add(int(fields["ino"], 16))
        except OSError:
            continue
    return inodes


def test_the_map_daemon_never_watches_git_or_kin(project, write, git_repo):
    write("teams/t.toml", TEAM)
    write("src/pkg/mod.py", "x = 1\n")
    for i in range(20):  # a .git with many directories, as a real one has
        (project / ".git" / "objects" / f"{i:02x}").mkdir(parents=True, exist_ok=True)
    run = TeamRun(project, "t", words_env())
    try:
        pid = wait_for(lambda: (d := run.daemon("map")) and d["state"] == "RUNNING" and d["pid"], 30,
                       lambda: run.output)
        wait_for(lambda: phase_file(project), 30, lambda: run.output)
        mailbox = project / ".kin" / "mail" / "t.map" / "new"  # the runner waits for its messages there
        ignored = {os.stat(d).st_ino for top in (project / ".git", project / ".kin")
                   for d, _, _ in os.walk(top) if Path(d) != mailbox}
        watched = wait_for(lambda: _watched_inodes(pid), 30, "the map daemon's watches")
        assert os.stat(project).st_ino in watched and os.stat(project / "src" / "pkg").st_ino in watched
        assert watched & ignored == set()
        (project / "later").mkdir()  # a top-level directory made while the team runs is watched too
        (project / "later" / "notes.md").write_text(words(50))
        cache = project / ".kin" / "state" / "map-cache.json"
        wait_for(lambda: "later/notes.md" in json.loads(cache.read_text())["files"], 30, lambda: run.output)
    finally:
        assert run.stop() == 0, run.output
