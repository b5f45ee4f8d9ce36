"""The map on a synthetic repository: cold, warm and one-file maps beside ``wc -c``, the estimator beside ``wc -w``.

``python benchmarks/run.py map [--quick] [--json]``. The repository is a git
work tree of 10,000 files (1,000 with ``--quick``) of mixed sizes: mostly
small sources and notes, some medium documents, a few large ones. Baselines
run in the same process on the same files: ``wc -c`` (what the targets are
stated against) and, for the cold map, ``wc -w``, which like the map reads
every byte.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

from common import Paired, interleave, report

WORDS = ("the map keeps documents within what a model can read phase budget token daemon team "
         "expansion convergence file size level warning split part section").split()
CODE = ("def {n}(x):\n    return x + {i}\n\nclass C{i}:\n    value = '{n}'\n\n")


def _make_repo(root: Path, count: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    paths: list[str] = []
    for i in range(count):
        kind = rnd.random()
        directory = f"pkg{i % 40}/sub{i % 7}"
        if kind < 0.55:
            rel = f"{directory}/mod{i}.py"
            body = "".join(CODE.format(n=f"f{i}_{j}", i=j) for j in range(rnd.randint(2, 40)))
        elif kind < 0.97:
            rel = f"{directory}/note{i}.md"
            body = "\n".join(" ".join(rnd.choices(WORDS, k=12)) for _ in range(rnd.randint(5, 120)))
        else:
            rel = f"docs/big{i}.md"
            body = "\n".join(" ".join(rnd.choices(WORDS, k=12)) for _ in range(rnd.randint(400, 1500)))
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        paths.append(rel)
    (root / "kin.toml").write_text("[map]\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@kin.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@kin.invalid"}
    (root / ".gitignore").write_text(".kin/\n")
    for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "synthetic"]):
        subprocess.run(argv, cwd=root, check=True, env=env)
    return paths


def main(as_json: bool = False, quick: bool = False) -> None:
    from shadeos_core.kernel import Kernel
    from shadeos_map.config import MapConfig
    from shadeos_map.estimator import estimate_tokens
    from shadeos_map.publish import RENDERED, publish
    from shadeos_map.scanner import MapScanner

    count = 1000 if quick else 10000
    tmp = Path(tempfile.mkdtemp(prefix="kin-bench-map-"))
    try:
        root = tmp / "repo"
        root.mkdir()
        paths = _make_repo(root, count)
        kernel = Kernel.load(root)
        config = MapConfig.from_workspace(kernel.workspace)
        cache = kernel.workspace.state_dir("state") / "map-cache.json"
        rendered = kernel.workspace.state_dir("state") / RENDERED
        output = config.output_path(root)
        # wc -c reads its file names from a list, so command-line length plays no part.
        listing = root.parent / "files.txt"
        listing.write_bytes(b"\0".join(p.encode() for p in paths) + b"\0")

        def wc(flag: str) -> None:
            subprocess.run(["wc", flag, "--files0-from", str(listing)], cwd=root, check=True,
                           stdout=subprocess.DEVNULL)

        def cold() -> None:
            # Nothing known: no counts, no map, so it is rendered and written too.
            for path in (cache, rendered, output):
                path.unlink(missing_ok=True)
            scanner = MapScanner.for_kernel(kernel, config)
            scanner.full_scan()
            publish(scanner)

        def warm_scan() -> None:
            MapScanner.for_kernel(kernel, config).full_scan()

        def warm_map() -> None:
            scanner = MapScanner.for_kernel(kernel, config)
            scanner.full_scan()
            publish(scanner)

        texts = [(root / p).read_bytes().decode("utf-8") for p in paths]
        corpus_mb = sum(len(t.encode()) for t in texts) / 1e6

        def estimate() -> None:
            for text in texts:
                estimate_tokens(text)

        repeat = 3 if quick else 5
        # In turns, so that machine load drifts hit a figure and its baseline alike.
        big = interleave({"cold": cold, "wc_w": lambda: wc("-w"), "estimate": estimate}, repeat, 1, warmup=1)
        warm = interleave({"warm_scan": warm_scan, "warm_map": warm_map, "wc_c": lambda: wc("-c")}, repeat, 2,
                          warmup=2)
        cold_wc = interleave({"cold": cold, "wc_c": lambda: wc("-c")}, repeat, 1, warmup=0)

        live = MapScanner.for_kernel(kernel, config)
        live.full_scan()
        publish(live)
        target = paths[len(paths) // 2]
        flip = [0]

        def one_file() -> None:
            flip[0] += 1
            (root / target).write_text(" ".join(WORDS[: 5 + flip[0] % 50]) + "\n")
            if live.update([target]):
                publish(live)

        one = interleave({"update": one_file, "wc_c": lambda: wc("-c"),
                          "wc_one": lambda: subprocess.run(["wc", "-c", target], cwd=root, check=True,
                                                           stdout=subprocess.DEVNULL)}, 5, 6, warmup=3)
        rows = [
            Paired(big["cold"], big["wc_w"]).row(f"cold map, {count} files (count, render, write)", "wc -w"),
            Paired(cold_wc["cold"], cold_wc["wc_c"]).row("cold map", "wc -c"),
            Paired(big["estimate"], big["wc_w"]).row(f"estimator alone, {corpus_mb:.0f} MB in memory", "wc -w"),
            Paired(warm["warm_scan"], warm["wc_c"]).row("warm scan (cache load, git listing, stat)", "wc -c",
                                                        target="within 2x of wc -c"),
            Paired(warm["warm_map"], warm["wc_c"]).row("warm map (what kin map --write does on it)", "wc -c",
                                                       target="within 2x of wc -c"),
            Paired(one["update"], one["wc_c"]).row("one-file update (recount, render, write)", "wc -c",
                                                   target="< 50 ms"),
            Paired(one["update"], one["wc_one"]).row("one-file update", "wc -c one file"),
        ]
        report(f"map ({count} files)", rows, as_json=as_json)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
