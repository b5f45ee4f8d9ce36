"""``kin memory`` through the real command line, the meta-daemon as a real process, and the plugin's hooks."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from shadeos_archivist.archivist import Archivist
from shadeos_core.kernel import Kernel


def test_kin_memory_commands(project: Path, kin) -> None:
    first = kin("memory", "add", "the build breaks on python 3.13", "-k", "build", "--author", "me",
                cwd=project, check=True).stdout.strip()
    second = kin("memory", "add", "-", "--stratum", "cognitive", "--namespace", "daemons/fixer",
                 "--summary", "pin the interpreter", cwd=project, input="plan: pin python in the build\n",
                 check=True).stdout.strip()
    hits = json.loads(kin("memory", "search", "build python", "--json", cwd=project, check=True).stdout)
    assert {h["id"] for h in hits} == {first, second}
    assert all({"id", "stratum", "namespace", "score", "content"} <= set(h) for h in hits)
    only = json.loads(kin("memory", "search", "build", "--stratum", "cognitive", "--json", cwd=project,
                          check=True).stdout)
    assert [h["id"] for h in only] == [second]
    scoped = json.loads(kin("memory", "search", "build", "-n", "global", "--json", cwd=project, check=True).stdout)
    assert [h["id"] for h in scoped] == [first]
    assert first in kin("memory", "search", "breaks", cwd=project, check=True).stdout

    edge = json.loads(kin("memory", "link", first, second, "--type", "transcendence", "--json", cwd=project,
                          check=True).stdout)
    assert edge["cross_fractal"] is True and edge["type"] == "transcendence"
    links = json.loads(kin("memory", "links", second, "--json", cwd=project, check=True).stdout)
    assert [(e["direction"], e["source"]) for e in links] == [("in", first)]
    shown = json.loads(kin("memory", "show", second, "--json", cwd=project, check=True).stdout)
    assert shown["summary"] == "pin the interpreter" and shown["content"] == "plan: pin python in the build\n"
    assert "pin python" in kin("memory", "show", second, cwd=project, check=True).stdout

    exported = [json.loads(line) for line in kin("memory", "export", cwd=project, check=True).stdout.splitlines()]
    assert [m["id"] for m in exported] == [first, second] and exported[0]["links"][0]["target"] == second
    only_fixer = kin("memory", "export", "--namespace", "daemons/fixer", cwd=project, check=True).stdout
    assert [json.loads(line)["id"] for line in only_fixer.splitlines()] == [second]

    stats = json.loads(kin("memory", "stats", "--json", cwd=project, check=True).stdout)
    assert stats["memories"] == 2 and stats["strata"]["cognitive"] == 1 and stats["cross_fractal_links"] == 1

    reindexed = kin("memory", "reindex", cwd=project, check=True)
    assert "indexed 2 memories" in reindexed.stdout and "2/2" in reindexed.stderr  # the progress bar
    assert kin("memory", "forget", first, cwd=project, check=True).returncode == 0
    assert json.loads(kin("memory", "links", second, "--json", cwd=project, check=True).stdout) == []
    assert kin("memory", "search", "breaks", cwd=project, check=True).stdout.strip() == "no memory matches"
    assert "removed 0 duplicate" in kin("memory", "optimize", cwd=project, check=True).stdout


def test_kin_memory_bad_input_is_one_line_and_exit_2(project: Path, kin) -> None:
    for args, message in ((["add", "-s", "emotional", "x"], "unknown stratum 'emotional'"),
                          (["add", ""], "memory content is empty"),
                          (["add", "-n", "daemons/../x", "x"], "invalid namespace 'daemons/../x'")):
        proc = kin("memory", *args, cwd=project)
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
        assert "Traceback" not in proc.stderr
    missing = kin("memory", "show", "mnope", cwd=project)
    assert missing.returncode == 1 and "no memory with id 'mnope'" in missing.stderr
    assert not list((project / ".kin" / "memory").glob("journal.jsonl")) or \
        Archivist.open(project).stats()["memories"] == 0


def test_meta_daemon_indexes_what_other_processes_store(project: Path, processes) -> None:
    (project / "kin.toml").write_text('[archivist]\nbackend = "whoosh"\n\n[teams.mem.meta.archivist]\n')
    daemon = subprocess.Popen([sys.executable, "-m", "shadeos_core.runner", "--team", "mem", "--daemon", "archivist"],
                              cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    processes.append(daemon)
    archive = Archivist.open(project)
    presence = project / ".kin" / "memory" / "archivist.lock"
    from shadeos_archivist.locks import held_by_other

    deadline = time.monotonic() + 30
    while not held_by_other(presence) and time.monotonic() < deadline:
        assert daemon.poll() is None, daemon.communicate()
        time.sleep(0.05)
    assert held_by_other(presence)
    stored = subprocess.run([sys.executable, "-m", "shadeos_core", "memory", "add", "lighthouse keeper notes"],
                            cwd=project, capture_output=True, text=True, timeout=60)
    memory_id = stored.stdout.strip()
    assert stored.returncode == 0, stored.stderr
    # Only the meta-daemon writes the index now; poll the index itself, not the tail scan of search().
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and archive.index.backend.search(["lighthouse"]) == []:
        time.sleep(0.05)
    assert [i for i, _ in archive.index.backend.search(["lighthouse"])] == [memory_id]
    os.killpg(daemon.pid, signal.SIGTERM)
    assert daemon.wait(timeout=30) == 0
    assert not held_by_other(presence)
    archive.close()


def test_hooks_store_search_and_revision(project: Path) -> None:
    kernel = Kernel.load(project)
    assert {"whoosh", "sqlite"} <= set(kernel.memory_backends)
    assert "archivist" in kernel.meta_daemon_types
    hooks = kernel.hooks
    revision = hooks.call("memory_revision", workspace=kernel.workspace)
    memory_id = hooks.call("memory_store", workspace=kernel.workspace, stratum="metaphysical",
                           content="prefer small modules", namespace="global", summary=None, keywords=None,
                           metadata={"from": "hook"}, author="context")
    assert hooks.call("memory_revision", workspace=kernel.workspace) != revision
    [hit] = hooks.call("memory_search", workspace=kernel.workspace, query="small modules", strata=["metaphysical"],
                       namespace=None, limit=5)
    assert hit["id"] == memory_id and hit["stratum"] == "metaphysical" and hit["namespace"] == "global"
    assert {"id", "stratum", "namespace", "score", "content", "summary", "created"} <= set(hit)
    assert Archivist.open(project).retrieve_memory(memory_id)["metadata"] == {"from": "hook"}


def test_hooks_get_with_links_both_ways_and_forget(project: Path) -> None:
    kernel = Kernel.load(project)
    hooks, ws = kernel.hooks, kernel.workspace
    fact = hooks.call("memory_store", workspace=ws, stratum="somatic", content="test_parse fails on empty input",
                      namespace="global", summary=None, keywords=None, metadata=None, author="tester")
    plan = hooks.call("memory_store", workspace=ws, stratum="cognitive", content="guard the parser",
                      namespace="daemons/coding.tester", summary=None, keywords=None, metadata=None, author=None)
    rule = hooks.call("memory_store", workspace=ws, stratum="metaphysical", content="validate input at edges",
                      namespace="global", summary=None, keywords=None, metadata=None, author=None)
    archive = Archivist.open(project)
    archive.create_fractal_links(fact, plan, "transcendence")
    archive.create_fractal_links(plan, rule, "transcendence")
    archive.close()
    got = hooks.call("memory_get", workspace=ws, memory_id=plan)
    assert got["id"] == plan and got["content"] == "guard the parser"
    assert {(e["source"], e["target"]) for e in got["links"]} == {(fact, plan), (plan, rule)}
    assert all(e["cross_fractal"] for e in got["links"])
    assert hooks.call("memory_get", workspace=ws, memory_id="nope") is None
    assert hooks.call("memory_forget", workspace=ws, memory_id=plan) is True
    assert hooks.call("memory_get", workspace=ws, memory_id=plan) is None
    assert hooks.call("memory_get", workspace=ws, memory_id=fact)["links"] == []
    assert hooks.call("memory_forget", workspace=ws, memory_id=plan) is False
