"""Recording: every event of every process, whatever its kind, from many writers at once, never in the way."""
from __future__ import annotations

import json
import subprocess
import sys

from actions_testkit import records

EMITTER = """
import sys
from shadeos_core import Kernel
from shadeos_core.events import DaemonEvent
kernel = Kernel.load(".")
writer, count = int(sys.argv[1]), int(sys.argv[2])
for seq in range(count):
    kernel.emit(DaemonEvent("probe.custom", f"t.w{writer}", "t", {"writer": writer, "seq": seq, "pad": "x" * (seq % 300)}))
assert kernel.flush_events(30)
print("done")
"""


def emitters(project, writers, count):
    procs = [subprocess.Popen([sys.executable, "-c", EMITTER, str(w), str(count)], cwd=project, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for w in range(writers)]
    return [(p.wait(timeout=120), *p.communicate()) for p in procs]


def test_records_from_concurrent_writers_are_all_there_once_and_whole(project):
    results = emitters(project, 6, 400)
    assert [code for code, _, _ in results] == [0] * 6, results
    got = records(project)
    assert sorted((r["data"]["writer"], r["data"]["seq"]) for r in got) == [(w, s) for w in range(6) for s in range(400)]
    # a kind no code of the plugin knows is recorded as it came, in time order
    assert {r["kind"] for r in got} == {"probe.custom"}
    assert [r["time"] for r in got] == sorted(r["time"] for r in got)
    segments = list((project / ".kin" / "actions").glob("*/*.jsonl"))
    assert len(segments) == 6  # one per writing process
    for segment in segments:
        lines = segment.read_bytes().splitlines()
        seqs = [json.loads(line)["data"]["seq"] for line in lines]
        assert seqs == list(range(400))


def test_a_registry_that_cannot_be_written_is_reported_once_and_never_stops_the_process(project):
    (project / ".kin").mkdir()
    (project / ".kin" / "actions").write_text("not a directory")
    [(code, out, err)] = emitters(project, 1, 20)
    assert code == 0 and out.strip() == "done"
    assert err.count("actions are not recorded") == 1, err


def test_a_torn_last_line_is_skipped_and_the_rest_read(project):
    emitters(project, 1, 10)
    [segment] = list((project / ".kin" / "actions").glob("*/*.jsonl"))
    with open(segment, "ab") as handle:
        handle.write(b'{"time": 1, "daemon": "t.w0", "kind": "cyc')  # a machine crash mid-write
    assert [r["data"]["seq"] for r in records(project)] == list(range(10))
