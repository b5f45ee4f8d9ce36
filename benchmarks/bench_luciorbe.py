"""Luciorbe janitor: the full walk beside find(1), and the fast path over recorded luciorbes.

1. Walk of a synthetic tree (20,000 directories, 500 luciorbes) beside
   ``find ROOT -name '.luciorbe*'`` on the same tree (target: within 1.5x of find;
   the walk runs in-process, so interpreter start-up is excluded);
   also the whole slow-path scan (walk + classify every luciorbe) beside find.
2. Fast path: classify 1,000 luciorbes recorded under ``.kin/run/luciorbes/``
   (target: under 50 ms) beside the bare minimum, reading and parsing the same
   1,000 files in a loop.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
from pathlib import Path

from common import Paired, interleave, report

from shadeos_core.fsio import atomic_write_json
from shadeos_core.luciorbe import Luciorbe, iso_now
from shadeos_core.workspace import Workspace
from shadeos_luciorbe.config import LuciorbeSettings
from shadeos_luciorbe.janitor import LuciorbeJanitor
from shadeos_luciorbe.walk import walk_luciorbes

DEAD_PID = 2**22 + 19


def _luciorbe(daemon_id: str, *, alive: bool) -> dict:
    import psutil

    pid = os.getpid() if alive else DEAD_PID
    started = psutil.Process(pid).create_time() if alive else 1.0
    return Luciorbe(daemon_id=daemon_id, daemon_type="bench", team="bench", pid=pid, pid_started=started,
                    last_update=iso_now(), started_at=iso_now(), heartbeat_s=3600, status="processing",
                    task="benchmark").to_json()


def build_tree(root: Path, dirs: int, luciorbes: int) -> list[Path]:
    """A random tree of ``dirs`` directories, a file in one of five, ``luciorbes`` luciorbes."""
    rng = random.Random(7)
    made = [root]
    for n in range(1, dirs):
        parent = made[rng.randrange(max(0, len(made) - 2000), len(made))]
        path = parent / f"d{n}"
        path.mkdir()
        made.append(path)
        if n % 5 == 0:
            (path / "notes.txt").write_text("x")
    placed = []
    for i, directory in enumerate(rng.sample(made, luciorbes)):
        path = directory / f".luciorbe.bench.w{i}"
        atomic_write_json(path, _luciorbe(f"bench.w{i}", alive=i % 2 == 0), indent=None)
        placed.append(path)
    return placed


def record(workspace: Workspace, paths: list[Path], per_daemon: int) -> None:
    """Write ``.kin/run/luciorbes/<id>.json`` records as daemons do, ``per_daemon`` paths each."""
    import psutil

    directory = workspace.state_dir("run", "luciorbes")
    for start in range(0, len(paths), per_daemon):
        daemon_id = f"bench.r{start // per_daemon}"
        atomic_write_json(directory / f"{daemon_id}.json",
                          {"daemon_id": daemon_id, "pid": os.getpid(),
                           "pid_started": psutil.Process().create_time(),
                           "paths": [str(p) for p in paths[start:start + per_daemon]]}, indent=None)


def main(as_json: bool = False, quick: bool = False) -> None:
    dirs, luciorbes, recorded, repeat = (2000, 50, 100, 5) if quick else (20000, 500, 1000, 9)
    with tempfile.TemporaryDirectory(prefix="kin-bench-luciorbe-") as tmp:
        root = Path(tmp).resolve() / "tree"
        root.mkdir()
        build_tree(root, dirs, luciorbes)
        workspace = Workspace(root)
        settings = LuciorbeSettings()

        found = sum(1 for _ in walk_luciorbes(root))
        by_find = subprocess.run(["find", str(root), "-name", ".luciorbe*"], capture_output=True, check=True)
        assert found == luciorbes == len(by_find.stdout.splitlines()), (found, by_find.stdout.count(b"\n"))

        def find() -> None:
            subprocess.run(["find", str(root), "-name", ".luciorbe*"], capture_output=True, check=True)

        def walk() -> None:
            for _ in walk_luciorbes(root):
                pass

        def scan() -> None:
            LuciorbeJanitor(workspace, {"settings": settings}).sightings()

        # In turns, so that machine load drifts hit the walk and its baseline alike.
        got = interleave({"find": find, "walk": walk, "scan": scan}, repeat, 1, warmup=1)
        rows = [
            Paired(got["walk"], got["find"]).row(f"walk, {dirs:,} dirs / {luciorbes} luciorbes", "find -name",
                                                 target="<= 1.5x find"),
            Paired(got["scan"], got["find"]).row("slow-path scan: walk + classify", "find -name"),
        ]

        fast_root = Path(tmp).resolve() / "fast"
        fast_root.mkdir()
        fast = Workspace(fast_root)
        paths = build_tree(fast_root, recorded, recorded)
        record(fast, paths, per_daemon=100)

        def fast_path() -> None:
            got = LuciorbeJanitor(fast, {"settings": settings, "full": False}).sightings()
            assert len(got) == recorded

        def read_parse() -> None:
            for p in paths:
                with open(p, "rb") as handle:
                    json.loads(handle.read())

        fast = interleave({"fast": fast_path, "raw": read_parse}, repeat, 1, warmup=1)
        rows.append(Paired(fast["fast"], fast["raw"]).row(f"fast path, {recorded:,} recorded luciorbes",
                                                          "read+json.loads", target="< 50 ms"))
        report("luciorbe janitor", rows, as_json=as_json)


if __name__ == "__main__":
    main()
