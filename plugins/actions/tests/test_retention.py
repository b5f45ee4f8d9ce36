"""Past days compacted into one sorted file, days past retention deleted, nothing lost or doubled."""
from __future__ import annotations

import json

from actions_testkit import kin_json, records

from shadeos_actions.recorder import Recorder
from shadeos_core.events import DaemonEvent

DAY = 86400.0


def test_compaction_keeps_every_record_once_and_retention_deletes_old_days(project, kin, write):
    import time

    now = time.time()
    writers = [Recorder(project / ".kin" / "actions") for _ in range(2)]
    for age_days in (40, 5, 0):
        for i in range(10):
            writer = writers[i % 2]
            writer._pid = 1000 + i % 2  # two processes of the past
            writer.close()
            writer.record(DaemonEvent("cycle", f"t.d{i % 2}", "t", {"n": i, "age": age_days},
                                      time=now - age_days * DAY - (10 - i)))
    for writer in writers:
        writer.close()
    before = records(project)
    assert len(before) == 30

    done = kin_json(kin, "actions", "compact", cwd=project)
    assert len(done["deleted"]) == 1 and len(done["compacted"]) == 1
    old_day = done["compacted"][0]
    compacted = project / ".kin" / "actions" / f"{old_day}.jsonl"
    lines = [json.loads(line) for line in compacted.read_text().splitlines()]
    assert [r["data"]["n"] for r in lines] == list(range(10))  # both processes' lines, merged in time order
    assert not (project / ".kin" / "actions" / old_day).exists()
    after = records(project)
    assert sorted((r["data"]["age"], r["data"]["n"]) for r in after) == [(a, n) for a in (0, 5) for n in range(10)]
    assert kin_json(kin, "actions", "compact", cwd=project) == {"compacted": [], "deleted": []}
    assert len(records(project)) == 20

    write("kin.toml", '[actions]\nretention = "2d"\n')
    assert kin_json(kin, "actions", "compact", cwd=project)["deleted"] == [old_day]
    assert {r["data"]["age"] for r in records(project)} == {0}
