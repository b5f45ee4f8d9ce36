"""Mid-term context latency, each figure beside a baseline measured in the same run.

- ``retrieve_context`` cached in-process, beside a plain dict lookup;
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

from common import report, summary, timeit

DAEMON, TYPE = "bench.worker", "task_states"
DATA = {"tasks": {f"task-{i}": {"status": "running", "step": i, "files": [f"src/m{i}.py"]} for i in range(8)}}

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


def _fresh_reads(root: Path, ctx, rounds: int) -> tuple[list[float], list[float]]:
    path = root / ".kin" / "context" / DAEMON / f"{TYPE}.json"
    code = _WRITER.format(data=DATA, daemon=DAEMON, ctype=TYPE)
    proc = subprocess.Popen([sys.executable, "-c", code, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    ours, raw = [], []
    try:
        for i in range(rounds * 2):
            proc.stdin.write(f"{i}\n")
            proc.stdin.flush()
            proc.stdout.readline()
            start = time.perf_counter()
            if i % 2 == 0:
                value = ctx.retrieve_context(DAEMON, TYPE)
                ours.append(time.perf_counter() - start)
                assert value["seq"] == i, "stale read"
            else:
                with open(path, "rb") as handle:
                    doc = json.loads(handle.read())
                raw.append(time.perf_counter() - start)
                assert doc["data"]["seq"] == i
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    return ours, raw


def _enrichment(root: Path, n_memories: int, rounds: int) -> list[dict]:
    from shadeos_core import Kernel
    from shadeos_context import MidTermContext
    from shadeos_context.archive import Archive

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
    queries = [f"{words[i % 10]} m{i}" for i in range(rounds)]
    counter = iter(range(10**9))
    cold = timeit(lambda: ctx.enrich_context(DAEMON, TYPE, queries[next(counter) % rounds] + f" q{next(counter)}"),
                  rounds, warmup=2)
    ctx.enrich_context(DAEMON, TYPE, "parser")
    cached = timeit(lambda: ctx.enrich_context(DAEMON, TYPE, "parser"), rounds * 10)
    search = timeit(lambda: archive.search("parser", limit=ctx.settings.enrich_limit), rounds)
    return [
        {"metric": "enrich_context cold", "value": summary(cold)["p50"], "baseline_name": "archive search",
         "baseline": summary(search)["p50"]},
        {"metric": "enrich_context cached", "value": summary(cached)["p50"], "baseline_name": "archive search",
         "baseline": summary(search)["p50"]},
    ]


def main(as_json: bool = False, quick: bool = False) -> None:
    from shadeos_core.fsio import atomic_write_bytes
    from shadeos_context import MidTermContext

    rounds = 200 if quick else 2000
    with tempfile.TemporaryDirectory(prefix="kin-bench-context-") as tmp:
        root = Path(tmp)
        (root / "kin.toml").write_text("")
        ctx = MidTermContext.open(root)
        ctx.store_context(DAEMON, TYPE, DATA)
        time.sleep(0.06)  # past the window in which a just-written file is always re-read
        ctx.retrieve_context(DAEMON, TYPE)

        plain = {(DAEMON, TYPE): DATA}
        cached = timeit(lambda: ctx.retrieve_context(DAEMON, TYPE), rounds * 5)
        lookup = timeit(lambda: plain.get((DAEMON, TYPE)), rounds * 5)

        fresh, raw = _fresh_reads(root, ctx, rounds // 4)

        payload = (json.dumps({"data": DATA}, indent=2) + "\n").encode()
        target = root / "baseline.json"
        store = timeit(lambda: ctx.store_context(DAEMON, TYPE, DATA), rounds // 2)
        bare = timeit(lambda: atomic_write_bytes(target, payload), rounds // 2)

        rows = [
            {"metric": "retrieve_context cached (p50)", "value": summary(cached)["p50"],
             "baseline_name": "dict lookup", "baseline": summary(lookup)["p50"], "target": "< 20 µs"},
            {"metric": "retrieve_context cached (p99)", "value": summary(cached)["p99"],
             "baseline_name": "dict lookup", "baseline": summary(lookup)["p99"]},
            {"metric": "retrieve_context after another process wrote", "value": summary(fresh)["p50"],
             "baseline_name": "open+read+json.loads", "baseline": summary(raw)["p50"], "target": "< 0.5 ms"},
            {"metric": "  same, p99", "value": summary(fresh)["p99"],
             "baseline_name": "open+read+json.loads", "baseline": summary(raw)["p99"]},
            {"metric": "store_context", "value": summary(store)["p50"],
             "baseline_name": "bare atomic write", "baseline": summary(bare)["p50"], "target": "< 5 ms"},
        ]
        rows += _enrichment(root, 50 if quick else 300, 20 if quick else 100)
    report("context", rows, as_json=as_json)


if __name__ == "__main__":
    main(as_json="--json" in sys.argv, quick="--quick" in sys.argv)
