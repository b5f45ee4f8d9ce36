"""Mid-term context latency, each figure beside a baseline measured in the same run, in alternation.

- ``retrieve_context`` cached in-process, of an 8 KB value, beside a plain dict lookup of the same value;
- ``retrieve_context`` right after another process rewrote the entry, beside a raw
  ``open().read()`` + ``json.loads`` of the same file, also right after a rewrite;
- ``store_context``, beside the bare atomic write of the same bytes;
- ``enrich_context`` cold and cached, beside the archive's own search (needs the archivist).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Paired, alternate, report

DAEMON, TYPE = "bench.worker", "task_states"


def _value(size: int) -> dict:
    """A task-state map of about ``size`` bytes of JSON, nested as daemons store them."""
    tasks: dict = {}
    i = 0
    while len(json.dumps({"tasks": tasks}, separators=(",", ":"))) < size:
        tasks[f"task-{i}"] = {"status": "running", "step": i, "files": [f"src/m{i}.py", f"tests/test_m{i}.py"],
                              "notes": "waiting for the parser review"}
        i += 1
    return {"tasks": tasks}


DATA = _value(8 * 1024)

# The other process: on each line from stdin, rewrite the entry, then answer.
_WRITER = """
import sys
from shadeos_context import MidTermContext
ctx = MidTermContext.open(sys.argv[1])
data = {data!r}
for line in sys.stdin:
    data["seq"] = int(line)
    ctx.store_context({daemon!r}, {ctype!r}, data)
    print(line.strip(), flush=True)
"""


def _fresh_reads(root: Path, ctx, rounds: int, per_round: int) -> Paired:
    """Each read right after the other process rewrote the entry; ours and the raw read take turns."""
    path = root / ".kin" / "context" / DAEMON / f"{TYPE}.json"
    code = _WRITER.format(data=DATA, daemon=DAEMON, ctype=TYPE)
    proc = subprocess.Popen([sys.executable, "-c", code, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdin is not None and proc.stdout is not None
    paired = Paired([], [])
    seq = iter(range(10**9))
    try:
        for r in range(rounds):
            ours, raw = [], []
            for i in range(per_round * 2):
                n = next(seq)
                proc.stdin.write(f"{n}\n")
                proc.stdin.flush()
                proc.stdout.readline()
                start = time.perf_counter()
                if (i + r) % 2 == 0:
                    value = ctx.retrieve_context(DAEMON, TYPE)
                    ours.append(time.perf_counter() - start)
                    assert value["seq"] == n, "stale read"
                else:
                    with open(path, "rb") as handle:
                        doc = json.loads(handle.read())
                    raw.append(time.perf_counter() - start)
                    assert doc["data"]["seq"] == n
            paired.measured.append(ours)
            paired.baseline.append(raw)
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    return paired


def _enrichment(root: Path, n_memories: int, rounds: int) -> list[dict]:
    from shadeos_context import MidTermContext
    from shadeos_context.archive import Archive
    from shadeos_core import Kernel

    kernel = Kernel.load(root)
    archive = Archive(kernel, kernel.workspace)
    if not archive.available:
        print("enrichment: skipped, it needs the archivist: pip install shadeos-archivist", file=sys.stderr)
        return []
    words = ["parser", "lexer", "tokens", "grammar", "cache", "index", "daemon", "mailbox", "phase", "review"]
    for i in range(n_memories):
        archive.store(stratum="cognitive", content=f"note {i}: the {words[i % 10]} and the {words[(i * 3) % 10]} "
                      f"interact in module m{i}", namespace="global", summary=f"note {i}", author="bench")
    ctx = MidTermContext.open(root, kernel=kernel)
    ctx.store_context(DAEMON, TYPE, DATA)
    counter = iter(range(10**9))

    def query() -> str:
        n = next(counter)
        return f"{words[n % 10]} m{n % n_memories} q{n}"  # never asked before: not cached

    limit = ctx.settings.enrich_limit
    cold = alternate(lambda: ctx.enrich_context(DAEMON, TYPE, query()),
                     lambda: archive.search(query(), limit=limit), 5, max(2, rounds // 5), warmup=2)
    ctx.enrich_context(DAEMON, TYPE, "parser")
    cached = alternate(lambda: ctx.enrich_context(DAEMON, TYPE, "parser"),
                       lambda: archive.search("parser", limit=limit), 5, max(2, rounds // 5), warmup=2)
    return [cold.row("enrich_context cold", "archive search"),
            cached.row("enrich_context cached", "archive search")]


def main(as_json: bool = False, quick: bool = False) -> None:
    from shadeos_context import MidTermContext
    from shadeos_core.fsio import atomic_write_bytes

    rounds, per_round = (5, 200) if quick else (10, 1000)
    with tempfile.TemporaryDirectory(prefix="kin-bench-context-") as tmp:
        root = Path(tmp)
        (root / "kin.toml").write_text("")
        ctx = MidTermContext.open(root)
        ctx.store_context(DAEMON, TYPE, DATA)
        time.sleep(0.06)  # past the window in which a just-written file is always re-read
        ctx.retrieve_context(DAEMON, TYPE)
        size = len(json.dumps(DATA, separators=(",", ":")))

        plain = {(DAEMON, TYPE): ctx.retrieve_context(DAEMON, TYPE)}
        cached = alternate(lambda: ctx.retrieve_context(DAEMON, TYPE), lambda: plain.get((DAEMON, TYPE)),
                           rounds, per_round)
        fresh = _fresh_reads(root, ctx, rounds, max(10, per_round // 20))

        payload = (json.dumps({"data": DATA}, indent=2) + "\n").encode()
        target = root / "baseline.json"
        store = alternate(lambda: ctx.store_context(DAEMON, TYPE, DATA), lambda: atomic_write_bytes(target, payload),
                          rounds, max(10, per_round // 20))

        rows = [
            cached.row(f"retrieve_context cached, {size / 1024:.0f} KB value", "dict lookup", target="< 20 µs"),
            cached.row("retrieve_context cached", "dict lookup", "p99"),
            fresh.row("retrieve_context after another process wrote", "open+read+json.loads", target="< 0.5 ms"),
            fresh.row("  same", "open+read+json.loads", "p99"),
            store.row("store_context", "bare atomic write", target="< 5 ms"),
        ]
        rows += _enrichment(root, 50 if quick else 300, 20 if quick else 100)
    report("context", rows, as_json=as_json)


if __name__ == "__main__":
    main(as_json="--json" in sys.argv, quick="--quick" in sys.argv)
