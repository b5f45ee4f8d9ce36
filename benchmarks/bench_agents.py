"""Agents: a cycle's own overhead on a 10,000-file repository, and what ten idle agents cost.

Figures, each beside a baseline measured in the same run:

- context assembly (role prompt, mission, map summary, history, queued tasks,
  memories through the archivist, two files the task names and the ``read``
  globs, counted with the map's estimator), beside one model round trip to the
  scripted OpenAI-compatible server on 127.0.0.1 through ``llm`` (the cheapest
  model call there is: no network, no inference);
- one edit applied through the write gate (lease, stale check, atomic replace)
  and committed (``git commit -- path`` under the agents' git lock), beside a
  plain ``write`` and a bare ``git commit -q -- path`` of the same change,
  alternated with ours;
- ten agents waiting on their trigger after their first cycle: CPU over a
  window as a share of one core, beside ten idle ``command`` daemons of the
  same runner.

Run: ``python benchmarks/run.py agents [--quick] [--json]``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Paired, interleave, report

from shadeos_agents.testing import FakeLLM, Reply, llm_home

TEAM = """
[team]
name = "bench"
mission = "MISSION.md"

[daemons.production]
type = "agent"
model = "fake-tools"
read = ["docs/**"]
every = "1h"
"""


def _repository(files: int) -> Path:
    root = Path(tempfile.mkdtemp(prefix="kin-bench-agents-"))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    (root / ".gitignore").write_text(".kin/\n.luciorbe*\n")
    per_dir = 100
    for index in range(files):
        directory = root / "src" / f"pkg{index // per_dir:03d}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"mod{index % per_dir:03d}.py").write_text(f"def f{index}():\n    return {index}\n")
    (root / "docs").mkdir()
    for index in range(12):
        (root / "docs" / f"guide{index}.md").write_text(f"# Guide {index}\n\n" + "Some words to read. " * 40 + "\n")
    (root / "MISSION.md").write_text("# Mission\n\nBuild a parser for the configuration language.\n" * 5)
    (root / "teams").mkdir()
    (root / "teams" / "bench.toml").write_text(TEAM)
    (root / "kin.toml").write_text("# benchmark\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "b@x"}
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "files"], cwd=root, check=True, env=env)
    subprocess.run([sys.executable, "-m", "shadeos_core", "map", "--write"], cwd=root, check=True,
                   capture_output=True)
    return root


def _agent(root: Path):
    from shadeos_core import Kernel

    kernel = Kernel.load(root)
    team = kernel.teams().get("bench")
    spec = team.member("production")
    agent = kernel.daemon_types["agent"](spec, team, kernel)
    agent.setup()
    for index in range(30):
        agent.records.append({"task": f"task {index}", "outcome": "ok",
                              "edits": [{"path": f"src/pkg000/mod{index:03d}.py", "op": "edit", "outcome": "applied"}]})
    for index in range(50):
        agent.remember(f"the parser handles case {index} of the configuration language", quiet=True)
    return agent


def _spread(samples: list[list[float]]) -> str:
    flat = sorted(x for r in samples for x in r)
    return f"p50 {flat[len(flat) // 2] * 1e3:.1f} ms, max {flat[-1] * 1e3:.1f} ms, n={len(flat)}"


def _cycle_overhead(runs: int, files: int) -> list[dict]:
    from shadeos_agents.context import ContextBuilder
    from shadeos_agents.gate import WriteGate

    root = _repository(files)
    server = FakeLLM(lambda request: Reply(text="NOTHING TO DO")).start()
    saved = dict(os.environ)
    try:
        os.environ.update(llm_home(root.parent / f"{root.name}-llm", server.url))
        os.environ.update({"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench",
                           "GIT_COMMITTER_EMAIL": "b@x"})
        agent = _agent(root)
        task = "Extend src/pkg001/mod001.py and src/pkg002/mod002.py with a parse() function"
        client = agent.client

        def assemble() -> None:
            builder = ContextBuilder(agent, agent.count_tokens)
            agent.templates.render(agent.template, builder.build(task).variables)

        def round_trip() -> None:
            client.dialogue("You are a benchmark.").say("Say nothing.")

        rounds = 5
        fig = interleave({"context": assemble, "model": round_trip}, rounds, max(1, runs // rounds))
        target = root / "src" / "pkg003" / "mod003.py"
        counter = iter(range(10**6))

        def ours() -> None:
            n = next(counter)
            gate = WriteGate(agent.gate.policy, agent.leases)
            gate.edit("src/pkg003/mod003.py", "    return", f"    # edit {n}\n    return")
            agent.git.commit(gate.changed, f"edit {n}", author="production (kin)", email="bench.production@kin")

        def bare() -> None:
            n = next(counter)
            text = target.read_text()
            target.write_text(text.replace("    return", f"    # edit {n}\n    return", 1))
            subprocess.run(["git", "commit", "-q", "-m", f"edit {n}", "--", "src/pkg003/mod003.py"], cwd=root,
                           check=True)

        commits = interleave({"ours": ours, "bare": bare}, rounds, max(1, runs // rounds))
        tokens = agent.count_tokens(agent.templates.render(agent.template, ContextBuilder(
            agent, agent.count_tokens).build(task).variables))
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(root.parent / f"{root.name}-llm", ignore_errors=True)
    context, commit = Paired(fig["context"], fig["model"]), Paired(commits["ours"], commits["bare"])
    return [
        context.row(f"context assembly, {files} files, {tokens} tokens", "model round trip", target="< 50 ms"),
        {"metric": f"  model round trip to the fake server ({_spread(fig['model'])})",
         "value": context.row("", "")["baseline"]},
        commit.row("edit through the gate + commit", "write + bare git commit", target="ratio < 2"),
        commit.row("  same", "write + bare git commit", "p99"),
    ]


def _idle_team(kind: str, count: int, window: float, server: FakeLLM) -> float:
    """CPU seconds per second (1.0 = one core) of ``count`` idle daemons of ``kind`` after their first cycle."""
    import psutil

    root = Path(tempfile.mkdtemp(prefix=f"kin-bench-idle-{kind}-"))
    env = {**os.environ, **llm_home(root / "llm", server.url)}
    project = root / "project"
    (project / "teams").mkdir(parents=True)
    (project / "kin.toml").write_text("# benchmark\n")
    if kind == "agent":
        body = 'type = "agent"\nmodel = "fake-tools"\nevery = "1h"\non_message = true\n'
    else:
        body = f'type = "command"\ncommand = ["{sys.executable}", "-c", "pass"]\nevery = "1h"\non_message = true\n'
    (project / "teams" / "idle.toml").write_text("[team]\nname = \"idle\"\n" + "".join(
        f"[daemons.d{i}]\n{body}" for i in range(count)))
    proc = subprocess.Popen([sys.executable, "-m", "shadeos_core", "idle"], cwd=project, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        children: list = []
        while time.monotonic() < deadline:
            children = [p for p in psutil.Process(proc.pid).children()
                        if "shadeos_core.runner" in " ".join(p.cmdline())]
            lucs = list(project.glob(".luciorbe.*"))
            done = kind != "agent" or len(list((project / ".kin" / "agents").glob("*/history.jsonl"))) == count
            if len(children) == count and len(lucs) == count and done:
                break
            time.sleep(0.2)
        time.sleep(2.0)  # the first cycles' aftermath settles

        def cpu() -> float:
            total = 0.0
            for child in children:
                times = child.cpu_times()
                total += times.user + times.system
            return total

        before, start = cpu(), time.monotonic()
        time.sleep(window)
        return (cpu() - before) / (time.monotonic() - start)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)


def _idle(window: float) -> list[dict]:
    server = FakeLLM(lambda request: Reply(text="NOTHING TO DO")).start()
    try:
        agents = _idle_team("agent", 10, window, server)
        commands = _idle_team("command", 10, window, server)
    finally:
        server.stop()
    return [{"metric": f"ten idle agents, CPU share of one core over {window:.0f}s", "value": agents,
             "unit": "count", "baseline_name": "ten idle command daemons", "baseline": commands,
             "target": "< 0.01 (1% of a core)"}]


def main(*, as_json: bool = False, quick: bool = False) -> None:
    rows = _cycle_overhead(runs=8 if quick else 30, files=2000 if quick else 10000)
    rows += _idle(window=5.0 if quick else 20.0)
    report("agents", rows, as_json=as_json)
