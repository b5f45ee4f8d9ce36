"""The action registry, each figure beside a baseline measured in the same run, in alternation.

- recording one action (the ``daemon_event`` listener: encode the event, one ``O_APPEND`` write) beside a raw
  ``os.write`` of the same bytes to an ``O_APPEND`` file;
- the full analysis (performance, collaboration, patterns, insights) of one million recorded actions, spread
  over segments as 8 processes write them, beside a plain streaming pass over the same files
  (``json.loads`` of each line, nothing else).
"""
from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from common import Paired, alternate, report

DAEMONS = ["coding.specifications", "coding.production", "coding.validation", "coding.duplication",
           "coding.tests", "coding.docs", "coding.janitor", "coding.archivist"]


def _event_data(rng: random.Random, daemon: str, i: int) -> tuple[str, dict]:
    """A plausible mix: cycles, model and tool calls, edits, commits, commands, messages, tasks."""
    roll = rng.random()
    if roll < 0.25:
        return "cycle", {"duration": rng.uniform(0.01, 3.0), "cycles": i, "status": rng.choice(["ok", "idle"]),
                         "messages": 0}
    if roll < 0.45:
        return "model_call", {"model": "gpt-4o-mini", "input_tokens": rng.randint(500, 9000),
                              "output_tokens": rng.randint(20, 900), "duration": rng.uniform(0.3, 8.0)}
    if roll < 0.65:
        return "tool_call", {"tool": rng.choice(["read_file", "edit_file", "search_files"]),
                             "path": f"src/m{rng.randint(0, 200)}.py", "ok": rng.random() > 0.05,
                             "outcome": "ok", "duration": rng.uniform(0.0005, 0.05)}
    if roll < 0.75:
        return "edit", {"path": f"src/m{rng.randint(0, 200)}.py", "op": "edit", "outcome": "applied"}
    if roll < 0.80:
        return "commit", {"sha": f"{rng.getrandbits(64):016x}", "paths": [f"src/m{rng.randint(0, 200)}.py"],
                          "task": "Refactor the parser"}
    if roll < 0.88:
        return "command", {"command": ["pytest", "-q"], "returncode": 0 if rng.random() > 0.1 else 1,
                           "duration": rng.uniform(0.5, 20.0), "timed_out": False}
    if roll < 0.95:
        return "message", {"sent": f"5-{i}-1-1.json", "to": rng.choice(DAEMONS), "message_kind": "message"}
    return "agent_cycle", {"task": "Refactor the parser", "outcome": rng.choice(["ok", "nothing-to-do"]),
                           "model": "gpt-4o-mini", "input_tokens": rng.randint(500, 20000),
                           "output_tokens": rng.randint(20, 2000), "edited": [], "commit": None, "error": ""}


def _write_records(directory: Path, total: int) -> list[Path]:
    from shadeos_actions.recorder import day_of

    rng = random.Random(7)
    start = time.time() - 6 * 3600
    day = directory / day_of(time.time())
    day.mkdir(parents=True)
    handles = [open(day / f"bench-{n}.jsonl", "w") for n in range(len(DAEMONS))]
    for i in range(total):
        n = i % len(DAEMONS)
        kind, data = _event_data(rng, DAEMONS[n], i)
        record = {"time": start + i * (6 * 3600 / total), "daemon": DAEMONS[n], "team": "coding", "kind": kind,
                  "pid": 4000 + n, "data": data}
        handles[n].write(json.dumps(record, separators=(",", ":")) + "\n")
    for handle in handles:
        handle.close()
    return sorted(day.iterdir())


def _plain_pass(files: list[Path]) -> int:
    count = 0
    for path in files:
        with open(path, "rb") as handle:
            for line in handle:
                json.loads(line)
                count += 1
    return count


def _recording(root: Path, rounds: int, per_round: int) -> Paired:
    from shadeos_actions import plugin
    from shadeos_core.events import DaemonEvent

    event = DaemonEvent("tool_call", "coding.production", "coding",
                        {"tool": "edit_file", "path": "src/parser.py", "ok": True, "outcome": "ok", "duration": 0.0123})
    plugin.daemon_event(event)  # opens this process's segment
    line = (json.dumps(event.to_json(), separators=(",", ":")) + "\n").encode()
    fd = os.open(root / "raw.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        return alternate(lambda: plugin.daemon_event(event), lambda: os.write(fd, line), rounds, per_round)
    finally:
        os.close(fd)


def main(as_json: bool = False, quick: bool = False) -> None:
    from shadeos_actions import ActionStore
    from shadeos_actions.analysis import Analysis

    total = 100_000 if quick else 1_000_000
    rounds = 3 if quick else 4
    old = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="kin-bench-actions-") as tmp:
        root = Path(tmp)
        (root / "kin.toml").write_text("")
        os.chdir(root)
        try:
            recording = _recording(root, 10, 300 if quick else 3000)
        finally:
            os.chdir(old)
        directory = root / "big" / ".kin" / "actions"
        files = _write_records(directory, total)
        store = ActionStore(directory)
        counted: dict[str, int] = {}

        def analysis() -> None:
            done = Analysis().feed_all(store.read())
            done.report()
            counted["analysis"] = done.records

        def plain() -> None:
            counted["plain"] = _plain_pass(files)

        full = alternate(analysis, plain, rounds, 1, warmup=0)
        assert counted["analysis"] == counted["plain"] == total, counted
    report("actions", [
        recording.row("record one action (daemon_event listener)", "raw O_APPEND write", target="< 20 µs"),
        recording.row("  same", "raw O_APPEND write", "p99"),
        full.row(f"full analysis of {total:,} recorded actions", "json.loads of each line"),
    ], as_json=as_json)


if __name__ == "__main__":
    main(as_json="--json" in sys.argv, quick="--quick" in sys.argv)
