"""Durability with real processes: concurrent writers, a writer killed mid-stream, a torn last line."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from shadeos_archivist.archivist import Archivist

WRITER = textwrap.dedent("""
    import sys
    from shadeos_archivist.archivist import Archivist
    archive = Archivist.open(sys.argv[1])
    tag, count = sys.argv[2], int(sys.argv[3])
    for i in range(count):
        memory_id = archive.store_memory("somatic", f"writer {tag} item w{tag}n{i} shared",
                                         namespace=f"daemons/w{tag}", keywords=[f"k{tag}"])
        print(memory_id, flush=True)
""")


def _writer(project: Path, tag: str, count: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(project), tag, str(count)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def test_four_processes_store_500_each_and_nothing_is_lost(project: Path, configure, processes) -> None:
    configure(project, "whoosh")
    for tag in "0123":
        processes.append(_writer(project, tag, 500))
    printed: dict[str, list[str]] = {}
    for tag, proc in zip("0123", processes):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        printed[tag] = out.split()
    all_ids = [i for ids in printed.values() for i in ids]
    assert len(all_ids) == 2000 and len(set(all_ids)) == 2000

    # Every line of the journal is whole JSON: appends never interleaved.
    journal = project / ".kin" / "memory" / "journal.jsonl"
    assert journal.read_bytes().endswith(b"\n")
    for backend in ("whoosh", "sqlite"):  # the same journal, indexed by each backend
        archive = Archivist.open(project, backend=backend)
        assert len(archive.view.memories) == 2000
        for tag, ids in printed.items():
            chain = [archive.retrieve_memory(i) for i in ids]
            assert all(m is not None and m["namespace"] == f"daemons/w{tag}" for m in chain)
            # each writer's namespace is a time chain in the order it stored
            assert [m["previous"] for m in chain[1:]] == ids[:-1]
            found = archive.search(f"k{tag}", limit=1000)
            assert {h["id"] for h in found} == set(ids)
        assert len(archive.search("shared", limit=5000)) == 2000
        for tag, n in (("0", 0), ("1", 250), ("2", 499), ("3", 123)):
            [hit] = archive.search(f"w{tag}n{n}")
            assert hit["id"] == printed[tag][n]
        archive.close()


@pytest.mark.parametrize("durability", ["fsync", "batch"])
def test_writer_killed_mid_stream_keeps_every_printed_id(project: Path, configure, processes, durability: str) -> None:
    # batch: no fsync per store, yet a killed process loses nothing (the data is in the OS already).
    configure(project, "whoosh", f'durability = "{durability}"\n')
    proc = _writer(project, "9", 1_000_000)
    processes.append(proc)
    printed: list[str] = []
    deadline = time.monotonic() + 60
    while len(printed) < 200 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        printed.append(line.strip())
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    rest = proc.stdout.read().split()  # ids printed between our last read and the kill
    printed += rest
    assert len(printed) >= 200
    archive = Archivist.open(project)
    missing = [i for i in printed if archive.retrieve_memory(i) is None]
    assert missing == []
    assert {h["id"] for h in archive.search("k9", limit=10**6)} >= set(printed)
    # The archive still takes writes after the crash.
    after = archive.store_memory("somatic", "after the crash")
    assert archive.retrieve_memory(after)["previous"] is None  # another namespace: its own chain
    archive.close()


def test_torn_last_line_is_skipped_with_a_warning_and_kept_aside(project: Path, configure,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    configure(project, "sqlite")
    archive = Archivist.open(project)
    kept = [archive.store_memory("somatic", f"acknowledged {i}") for i in range(3)]
    archive.close()
    journal = project / ".kin" / "memory" / "journal.jsonl"
    torn = b'{"op":"store","id":"mtorn","namespace":"global","stratum":"somatic","content":"half'
    with open(journal, "ab") as handle:  # what a writer killed in the middle of write() leaves
        handle.write(torn)

    with caplog.at_level(logging.WARNING, logger="kin.archivist.journal"):
        # Nobody holds the writers' lock, so the unterminated tail is torn, not being written.
        reopened = Archivist.open(project)
    assert "torn last line" in caplog.text
    assert all(reopened.retrieve_memory(i) is not None for i in kept)
    assert reopened.retrieve_memory("mtorn") is None
    aside = (project / ".kin" / "memory" / "journal.torn").read_bytes()
    assert torn in aside
    assert journal.read_bytes().endswith(b"\n") and torn not in journal.read_bytes()
    new = reopened.store_memory("somatic", "acknowledged after")
    assert reopened.retrieve_memory(new)["previous"] == kept[-1]
    assert [h["id"] for h in reopened.search("acknowledged", limit=10)] and \
        {h["id"] for h in reopened.search("acknowledged", limit=10)} == {*kept, new}
    reopened.close()


def test_torn_line_found_by_the_next_writer(project: Path, configure, caplog: pytest.LogCaptureFixture) -> None:
    configure(project, "whoosh")
    archive = Archivist.open(project)
    first = archive.store_memory("somatic", "before")
    with open(archive.journal.path, "ab") as handle:
        handle.write(b'{"op":"store","id":"mhalf"')
    with caplog.at_level(logging.WARNING, logger="kin.archivist.journal"):
        second = archive.store_memory("somatic", "after")
    assert "torn last line" in caplog.text
    assert archive.retrieve_memory(first) and archive.retrieve_memory(second)
    assert Archivist.open(project).retrieve_memory(second)["previous"] == first
    archive.close()


@pytest.mark.parametrize("backend", ["whoosh", "sqlite"])
@pytest.mark.parametrize("indexed_first", [True, False])
def test_a_damaged_line_in_the_middle_never_hides_the_records_after_it(project: Path, configure, backend: str,
                                                                       indexed_first: bool,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    configure(project, backend)
    archive = Archivist.open(project)
    ids = [archive.store_memory("somatic", f"zebra fact {word}") for word in ("one", "two", "three", "four")]
    if indexed_first:
        archive.sync_index()
    archive.close()
    journal = project / ".kin" / "memory" / "journal.jsonl"
    lines = journal.read_bytes().split(b"\n")
    # the disk overwrote the end of fact two, its line end with it: fact three is glued onto the damage
    lines[2] = lines[2][:40] + b"\x00\x00\x00" + lines[3]
    del lines[3]
    journal.write_bytes(b"\n".join(lines))
    with caplog.at_level(logging.WARNING, logger="kin.archivist.journal"):
        reopened = Archivist.open(project)
        found = {h["id"] for h in reopened.search("zebra", limit=10)}
    assert found == {ids[0], ids[2], ids[3]}  # only the damaged record is gone
    assert "damaged line" in caplog.text and "1 record(s) after the damage were recovered" in caplog.text
    assert b"\x00\x00\x00" in (project / ".kin" / "memory" / "journal.damaged").read_bytes()  # kept aside
    reopened.sync_index()  # the index takes the recovered record in, wherever its checkpoint was
    assert {h["id"] for h in reopened.search("zebra", limit=10)} == {ids[0], ids[2], ids[3]}
    assert {h["id"] for h in Archivist.open(project).search("three", limit=10)} == {ids[2]}
    reopened.optimize_memory()  # compaction drops the damage for good
    assert b"\x00" not in journal.read_bytes()
    assert {h["id"] for h in Archivist.open(project).search("zebra", limit=10)} == {ids[0], ids[2], ids[3]}
    reopened.close()
