"""A second process for the concurrency tests: ``python context_worker.py MODE ROOT [NAME] [ROUNDS]``.

``hammer``: write then read every shared key ROUNDS times; each value carries its
writer, a per-writer sequence number and a checksum. A read that is torn (bad
checksum), stale (a writer's sequence going backwards) or missing exits 1.
``echo``: for each line N on stdin, store ``{"seq": N}`` and answer ``N`` on stdout.
"""
from __future__ import annotations

import hashlib
import json
import sys

from shadeos_context import MidTermContext

KEYS = [("shared.a", "task_states"), ("shared.a", "recent_interactions"), ("shared.b", "task_states")]


def payload(writer: str, seq: int) -> dict:
    # Sizes vary so that a torn file would not parse, and repeat so that sizes collide.
    body = f"{writer}-{seq}-" + "x" * (seq % 7) * 300
    return {"writer": writer, "seq": seq, "body": body, "sum": hashlib.sha256(body.encode()).hexdigest()}


def hammer(root: str, name: str, rounds: int) -> int:
    ctx = MidTermContext.open(root)
    reader = MidTermContext.open(root)  # never writes, so its cache lives across the other process's writes
    last_seen: dict[tuple, int] = {}
    reads = 0
    for seq in range(rounds):
        for key in KEYS:
            ctx.store_context(*key, payload(name, seq))
            mine = ctx.retrieve_context(*key)
            if mine is None:
                print(f"missing {key} right after writing it", file=sys.stderr)
                return 1
        for key in KEYS:
            value = reader.retrieve_context(*key)
            reads += 1
            if value is None or hashlib.sha256(value["body"].encode()).hexdigest() != value["sum"]:
                print(f"torn or missing read of {key}: {value!r}", file=sys.stderr)
                return 1
            seen = (key, value["writer"])
            if value["seq"] < last_seen.get(seen, -1):
                print(f"stale read of {key}: {value['writer']} seq {value['seq']} after {last_seen[seen]}", file=sys.stderr)
                return 1
            last_seen[seen] = value["seq"]
    print(json.dumps({"reads": reads, "writers_seen": sorted({w for _k, w in last_seen})}))
    return 0


def echo(root: str) -> int:
    ctx = MidTermContext.open(root)
    for line in sys.stdin:
        seq = int(line)
        ctx.store_context("echo.writer", "task_states", {"seq": f"{seq:08d}"})
        print(seq, flush=True)
    return 0


if __name__ == "__main__":
    mode, root = sys.argv[1], sys.argv[2]
    if mode == "hammer":
        sys.exit(hammer(root, sys.argv[3], int(sys.argv[4])))
    sys.exit(echo(root))
