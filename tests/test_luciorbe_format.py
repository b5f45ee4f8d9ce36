"""The luciorbe format: atomic writes, a tolerant reader, liveness from real processes, the record."""
import json
import os
import subprocess
import sys
import time

import pytest

from shadeos_core import Workspace
from shadeos_core.luciorbe import (
    Luciorbe,
    LuciorbeKeeper,
    MalformedLuciorbe,
    is_luciorbe_name,
    iso_now,
    liveness,
    read_luciorbe,
)
from shadeos_core.luciorbe_record import recorded_paths


def test_round_trip_and_extra_fields(project):
    keeper = LuciorbeKeeper(Workspace(project), "t.a", daemon_type="agent", team="t", heartbeat_s=5)
    handle = keeper.open(".", task="Generate the parser", status="processing", progress="5/10",
                         current_file="src/parser.py", custom="kept")
    data = json.loads((project / ".luciorbe.t.a").read_text())
    assert data["schema"] == 1 and data["pid"] == os.getpid() and data["custom"] == "kept"
    assert data["last_update"].endswith("Z") and data["started_at"]
    luc = read_luciorbe(handle.path)
    assert (luc.task, luc.progress, luc.current_file, luc.extra) == ("Generate the parser", "5/10", "src/parser.py",
                                                                      {"custom": "kept"})
    assert liveness(luc) == "alive"
    keeper.release_all()
    assert not handle.path.exists()


@pytest.mark.parametrize("content, reason", [
    (b"{garbage", "unreadable"), (b"[]", "not a JSON object"), (b'{"schema": 2}', "unknown schema"),
    (b'{"schema": 1, "daemon_id": "x"}', "missing"), (b"\xff\xfe", "unreadable"),
])
def test_malformed_files_raise_one_known_error(project, content, reason):
    path = project / ".luciorbe.bad"
    path.write_bytes(content)
    with pytest.raises(MalformedLuciorbe, match=reason):
        read_luciorbe(path)


def test_liveness_of_a_finished_a_reused_and_a_silent_owner(project):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        import psutil

        started = psutil.Process(child.pid).create_time()
        base = Luciorbe(daemon_id="t.a", pid=child.pid, pid_started=started, last_update=iso_now(), heartbeat_s=1)
        assert liveness(base) == "alive"
        assert liveness(Luciorbe(**{**base.__dict__, "pid_started": started - 100})) == "dead"  # pid reused
        assert liveness(Luciorbe(**{**base.__dict__, "last_update": iso_now(time.time() - 10)})) == "stale"
        assert liveness(Luciorbe(**{**base.__dict__, "host": "elsewhere", "pid": 1})) == "alive"
    finally:
        child.kill()
        child.wait()
    assert liveness(base) == "dead"  # finished


def test_task_context_manager_removes_on_completion_and_on_failure(project):
    keeper = LuciorbeKeeper(Workspace(project), "t.a")
    (project / "d").mkdir()
    with keeper.task("d", "work") as handle:
        assert read_luciorbe(handle.path).status == "processing"
    assert not handle.path.exists()
    with pytest.raises(ValueError):
        with keeper.task("d", "work") as handle:
            raise ValueError("failed")
    assert not handle.path.exists() and "t.a" not in recorded_paths(Workspace(project))
    with pytest.raises(Exception, match="outside"):
        keeper.open("../elsewhere")


def test_names():
    assert is_luciorbe_name(".luciorbe") and is_luciorbe_name(".luciorbe.t.a")
    assert not is_luciorbe_name(".luciorbe.") and not is_luciorbe_name("x.luciorbe.a")
    assert not is_luciorbe_name("..luciorbe.t.a.abc.tmp") and not is_luciorbe_name(".luciorbe.t.a.tmp")
