"""The archivist's meta-daemon consolidates memory with the configured model (through the agents plugin's
model_complete hook), and without one behaves as it always did: nothing is sent anywhere."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import kill_group, wait_for

from shadeos_agents.testing import FakeLLM, Reply, Request, llm_home

pytestmark = pytest.mark.slow

FACTS = ["the parser failed on an empty file", "the parser failed on a file with only comments",
         "the parser failed on a file ending without a newline", "the lexer accepts tabs"]
TEAM = """[team]
cycle = "0.2s"
[meta.archivist]
every = "0.3s"
heartbeat = "0.5s"
start_seconds = "0.3s"
"""


def consolidating_model(request: Request) -> Reply:
    prompt = request.last_user
    if prompt.startswith("Write a summary"):
        ids = re.findall(r"^- id (\S+): (.*)$", prompt, re.M)
        return Reply(text="```json\n" + json.dumps([{"id": i, "summary": f"short: {text[:40]}",
                                                      "keywords": ["parsing", "edgecase"]} for i, text in ids]) + "\n```")
    if prompt.startswith("These facts were recorded in"):
        return Reply(text=json.dumps({"content": "The parser is fragile at the edges of a file: empty files, comments "
                                                 "only, no final newline.", "summary": "parser edge cases",
                                      "keywords": ["parser", "robustness"]}))
    return Reply(text="?")


def start(project: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "shadeos_core", "memo"], cwd=project, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def memories(kin, project: Path, env: dict[str, str]) -> list[dict]:
    out = kin("memory", "export", cwd=project, env=env, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def memo(project, kin, tmp_path):
    (project / "teams").mkdir()
    (project / "teams/memo.toml").write_text(TEAM)
    server = FakeLLM(consolidating_model).start()
    env = {**llm_home(tmp_path / "llm", server.url)}
    for fact in FACTS:
        kin("memory", "add", fact, "-n", "daemons/memo.tester", cwd=project, env=env, check=True)
    kin("memory", "add", "keep this summary", "--summary", "mine", "-k", "own", cwd=project, env=env, check=True)
    procs: list[subprocess.Popen] = []
    yield project, env, server, procs
    for proc in procs:
        kill_group(proc)
    server.stop()


def test_with_a_model_memories_get_summaries_and_keywords_and_facts_are_distilled(memo, kin):
    project, env, server, procs = memo
    (project / "kin.toml").write_text('[agents]\nmodel = "fake-tools"\n\n[archivist]\nconsolidate_every = "1s"\n'
                                      'distil_after = 3\n')
    procs.append(start(project, env))
    found = wait_for(lambda: json.loads(kin("memory", "search", "edgecase", "--json", cwd=project, env=env).stdout
                                        or "[]"), 60, "memories found by the keywords the model gave them")
    assert {hit["content"] for hit in found} == set(FACTS)
    insight = wait_for(lambda: [m for m in memories(kin, project, env) if m["stratum"] == "cognitive"], 60,
                       "a distilled cognitive memory")
    assert len(insight) == 1 and insight[0]["namespace"] == "daemons/memo.tester"
    assert insight[0]["summary"] == "parser edge cases" and insight[0]["author"] == "archivist"
    everything = {m["id"]: m for m in memories(kin, project, env)}
    facts = [m for m in everything.values() if m["content"] in FACTS]
    assert all(m["summary"].startswith("short: ") and m["keywords"] == ["parsing", "edgecase"] for m in facts)
    linked = {link["source"] for m in facts for link in m["links"] if link["type"] == "transcendence"
              and link["target"] == insight[0]["id"]}
    assert linked == {m["id"] for m in facts}  # every fact points up to the insight drawn from it
    mine = next(m for m in everything.values() if m["content"] == "keep this summary")
    assert (mine["summary"], mine["keywords"]) == ("mine", ["own"])  # what an author wrote is never overwritten
    spent = json.loads((project / ".kin/memory/consolidation.json").read_text())
    assert sum(spent["hours"].values()) == 120 * len(server.requests)
    assert len(server.requests) == 2  # one annotation request, one distillation (the insight came with its summary)
    time.sleep(2.5)  # later passes find nothing left to do, and ask nothing
    assert len(server.requests) == 2


def test_without_a_model_configured_nothing_is_sent_and_memory_works_as_before(memo, kin):
    project, env, server, procs = memo
    procs.append(start(project, env))
    wait_for(lambda: json.loads(kin("status", "--json", cwd=project, env=env).stdout).get("running"), 30, "the team")
    hit = wait_for(lambda: json.loads(kin("memory", "search", "lexer", "--json", cwd=project, env=env).stdout), 30,
                   "the index")
    assert hit[0]["summary"] == ""
    time.sleep(2)
    assert server.requests == []
    assert not (project / ".kin/memory/consolidation.json").exists()
