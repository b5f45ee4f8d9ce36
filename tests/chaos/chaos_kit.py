"""Helpers of the chaos suite: misbehaving plugins loaded into real kin processes, installed distributions."""
from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGINS = HERE / "plugins"


def chaos_env(*modules: str, **extra: str) -> dict[str, str]:
    """Environment loading the given misbehaving plugin modules into every kin process."""
    path = os.pathsep.join(filter(None, [str(PLUGINS), str(HERE.parent / "kinplugins"),
                                         os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "KIN_PLUGINS": ",".join(modules), "PYTHONPATH": path, **extra}


def install_dist(site: Path, dist: str, entry_name: str, module: str) -> dict[str, str]:
    """A real installed distribution (a .dist-info with entry points) on ``site``, as pip leaves one."""
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[shadeos]\n{entry_name} = {module}\n")
    (site / f"{module}.py").write_text((PLUGINS / f"{module}.py").read_text())
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH", "")]))}


# -- hostile JSON: what a damaged disk, a hand edit or a hostile process leaves in a file kin reads -----------
def _scrambled(value: object, top: bool = True) -> object:
    """The same keys with every value of another type (a string where a number was, a list for a string…)."""
    if isinstance(value, dict):
        return {k: _scrambled(v, False) for k, v in value.items()} if top else [1]
    if isinstance(value, str):
        return {"s": 1}
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, (int, float)):
        return "12"
    if isinstance(value, list):
        return {"0": None}
    return []


def _parsed(original: bytes) -> object:
    try:
        return json.loads(original)
    except (ValueError, RecursionError):  # a file an earlier pass made hostile
        return None


HOSTILE: dict[str, Callable[[bytes], bytes]] = {
    "deep": lambda _: b"[" * 100_000 + b"]" * 100_000,  # deeper than the parser's recursion limit
    "unclosed": lambda _: b"{" * 100_000,
    "binary": lambda _: b"\xff\xfe\x00\x01 not text\n",
    "empty": lambda _: b"",
    "array": lambda _: b'[1, "x", null]',
    "bigint": lambda _: b"1" + b"0" * 100_000,  # more digits than int() converts
    "infinite": lambda _: b'{"heartbeat": 1e999, "pid": -1e999, "started": NaN, "updated": Infinity}',
    "scrambled": lambda original: json.dumps(_scrambled(_parsed(original))).encode(),
    "nulls": lambda original: json.dumps(dict.fromkeys(p) if isinstance(p := _parsed(original), dict)
                                         else None).encode(),
}


def kin_json_files(project: Path) -> list[Path]:
    """Every JSON file kin keeps (state, records, tasks, mail, context, map cache, memory journal) and every
    luciorbe of the project; the memory index (Whoosh's own files) aside."""
    found = [*project.joinpath(".kin").rglob("*.json"), *project.joinpath(".kin").rglob("*.jsonl"),
             *project.rglob(".luciorbe.*")]
    return sorted(p for p in found if "index-whoosh" not in p.parts and ".git" not in p.parts)


def poison(project: Path, variant: str | None = None, *, seed: int = 0) -> list[tuple[Path, str]]:
    """Overwrite every file of :func:`kin_json_files` with hostile content: ``variant`` for all, or one drawn per
    file (from ``seed``) when ``None``. A journal (``.jsonl``) gets it line by line. A file that vanished while
    this ran (a running team rewrites its files) is skipped. Returns what each file got."""
    chosen = random.Random(seed)
    done: list[tuple[Path, str]] = []
    for path in kin_json_files(project):
        kind = variant or chosen.choice(sorted(HOSTILE))
        make = HOSTILE[kind]
        try:
            original = path.read_bytes()
            if path.suffix == ".jsonl":
                lines = original.splitlines()
                data = b"".join(make(line).replace(b"\n", b" ") + b"\n" for line in lines)
            else:
                data = make(original)
            path.write_bytes(data)
        except OSError:
            continue
        done.append((path, kind))
    return done
