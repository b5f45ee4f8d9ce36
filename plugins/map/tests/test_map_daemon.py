"""The ``[meta.map]`` meta-daemon in a real runner process: atomic saves and bursts keep one consistent map."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from map_testing import words, words_env

TEAM = """
[team]
name = "mapteam"

[meta.map]
debounce = "100ms"
rescan = "1h"
"""


def _wait(what: str, condition: Callable[[], bool], proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the map daemon exited ({proc.returncode}) while waiting for {what}: "
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _map_text(project: Path) -> str:
    try:
        return (project / ".kin" / "map.md").read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def _phase(project: Path) -> dict | None:
    try:
        return json.loads((project / ".kin" / "state" / "phase.json").read_text())
    except (OSError, ValueError):
        return None


def _total_is(project: Path, total: int) -> Callable[[], bool]:
    return lambda: (_phase(project) or {}).get("total_tokens") == total


@pytest.fixture
def map_daemon(project: Path, write) -> Iterator[subprocess.Popen]:
    write("kin.toml", '[map]\nexclude = ["*.toml"]\n')
    write("teams/mapteam.toml", TEAM)
    write("doc.md", words(100))
    env = {**os.environ, **words_env()}
    proc = subprocess.Popen([sys.executable, "-m", "shadeos_core.runner", "--team", "mapteam", "--daemon", "map"],
                            cwd=project, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait("the first map", lambda: (project / ".kin" / "map.md").is_file() and _total_is(project, 100)(), proc)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc.stderr:
            proc.stderr.close()


def test_an_editors_atomic_save_is_seen_as_a_modification(project, map_daemon):
    temp = project / ".doc.md.swp-save"
    temp.write_text(words(250))
    os.replace(temp, project / "doc.md")
    _wait("the atomic save in phase.json", _total_is(project, 250), map_daemon)
    # phase.json is written just before the Markdown map: wait for the map too rather than read it in between.
    _wait("the atomic save in the map", lambda: "- doc.md 0.2k ✓" in _map_text(project), map_daemon)
    assert ".doc.md.swp-save" not in _map_text(project)
    # A rename away removes the file from the map (the event names only the destination).
    os.replace(project / "doc.md", project / "renamed.md")
    _wait("the rename", lambda: "renamed.md" in (project / ".kin" / "map.md").read_text(encoding="utf-8")
          and "- doc.md" not in (project / ".kin" / "map.md").read_text(encoding="utf-8"), map_daemon)
    assert _phase(project)["total_tokens"] == 250
    map_daemon.send_signal(signal.SIGTERM)
    assert map_daemon.wait(timeout=15) == 0


def test_a_burst_of_1000_writes_gives_one_consistent_map(project, map_daemon, kin_words):
    burst = project / "burst"
    burst.mkdir()
    expected = 100
    for i in range(1000):
        n = i % 7 + 1
        (burst / f"f{i:04d}.md").write_text(words(n))
        expected += n
    _wait("the burst to be counted", _total_is(project, expected), map_daemon, timeout=60)
    fresh, _ = kin_words("map", "--json", cwd=project)
    assert fresh["total_tokens"] == expected
    names = sorted(Path(f["path"]).name for f in fresh["files"])

    def listed() -> list[str]:
        text = _map_text(project).split("## Warnings")[0]
        return sorted(line.strip()[2:].split(" ")[0] for line in text.splitlines()
                      if line.strip().startswith("- ") and not line.strip().startswith("- **"))

    # The Markdown map is written just after phase.json: wait for it rather than read it in between.
    _wait("the burst in the map", lambda: listed() == names, map_daemon)
    text = _map_text(project)
    assert f"tokens in {len(fresh['files'])} files" in text
    assert map_daemon.poll() is None
