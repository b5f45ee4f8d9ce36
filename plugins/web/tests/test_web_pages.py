"""Every page in a real Chromium: an agent's history and diff after a scripted cycle, memory search and
forget, the actions report drawn, the task queue, the mission, logs followed; a screenshot of each page."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from web_testkit import PLUGINS, WebServer, png_is_blank, team_toml

from shadeos_agents.testing import FakeLLM, Reply, call, llm_home
from shadeos_core import Kernel
from shadeos_core.tasks import TaskQueue
from shadeos_core.testing import TeamRun, wait_for
from shadeos_core.workspace import Workspace

PAGES = ["/", "/agents", "/mission", "/map", "/tasks", "/memory", "/actions", "/luciorbes", "/logs"]


def _shot(page, tmp_path: Path, name: str) -> None:
    data = page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    assert not png_is_blank(data), f"the {name} page rendered blank"


def test_an_agents_history_and_diff_appear_after_a_scripted_cycle(git_repo: Path, web, runs, page,
                                                                  tmp_path: Path) -> None:
    def script(request):
        if "Choose the single most useful concrete task" in request.last_user:
            return Reply(text="Create greet.py")
        if request.turns == 0:
            return Reply(tool_calls=[call("write_file", path="greet.py", content="def greet():\n    return 'hi'\n")])
        return Reply(tool_calls=[call("finish", summary="done")])

    with FakeLLM(script) as fake:
        env = llm_home(tmp_path / "llm", fake.url)
        (git_repo / "teams").mkdir()
        (git_repo / "teams" / "solo.toml").write_text(
            '[team]\nname = "solo"\ncycle = "0.2s"\nstop_timeout = "5s"\n[daemons.production]\ntype = "agent"\n'
            'model = "fake-tools"\nheartbeat = "0.5s"\nstart_seconds = "0.3s"\nevery = "1h"\non_message = true\n'
            'retries = 0\ntimeout = "20s"\n')
        run = TeamRun(git_repo, "solo", env)
        runs.append(run)
        server: WebServer = web(env)
        page.goto(server.url.replace("/?", "/agents?"))
        page.wait_for_selector('tr[data-agent="solo.production"]', timeout=60000)
        page.click('a[href="/agents/solo.production"]')
        page.wait_for_selector(".cycle pre.diff", timeout=60000)
        cycle = page.locator(".cycle").first
        assert "Create greet.py" in cycle.inner_text()
        assert "write_file" in cycle.inner_text() and "ok" in cycle.inner_text()
        diff = cycle.locator("pre.diff").inner_text()
        assert "greet.py" in diff and "+def greet():" in diff
        assert "300 in / 60 out" in cycle.inner_text()  # three model calls of 100/20 tokens
        # the role prompt, saved as the project's override
        assert "builtin" in page.locator(".prompt h2").inner_text()
        page.fill(".prompt textarea", "{% extends 'base.md.j2' %}\n")
        page.click(".prompt button[name=save]")
        wait_for(lambda: "saved prompts/production.md.j2" in page.locator("#flash").inner_text(), 20, "saved")
        assert (git_repo / "prompts" / "production.md.j2").read_text() == "{% extends 'base.md.j2' %}\n"
        page.fill(".prompt textarea", "{% if %}")
        page.click(".prompt button[name=save]")
        wait_for(lambda: "template syntax error" in page.locator("#flash").inner_text(), 20, "the refusal")
        assert (git_repo / "prompts" / "production.md.j2").read_text() == "{% extends 'base.md.j2' %}\n"
        _shot(page, tmp_path, "agent")
        run.stop()


def test_memory_search_finds_a_stored_memory_shows_its_links_and_forgets_it(project: Path, web, page,
                                                                          tmp_path: Path) -> None:
    from shadeos_archivist import Archivist

    hooks, ws = (kernel := Kernel.load(project)).hooks, kernel.workspace
    fact = hooks.call("memory_store", workspace=ws, stratum="somatic", content="the lighthouse lamp flickers",
                      namespace="global", summary=None, keywords=None, metadata=None, author="keeper")
    plan = hooks.call("memory_store", workspace=ws, stratum="cognitive", content="replace the lighthouse bulb",
                      namespace="global", summary=None, keywords=None, metadata=None, author="keeper")
    with Archivist.open(project) as archive:
        archive.create_fractal_links(fact, plan, "transcendence")
    server: WebServer = web()
    page.goto(server.url.replace("/?", "/memory?"))
    page.fill("input[name=q]", "lighthouse lamp")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector(f'tr[data-memory="{fact}"]')
    assert page.locator("tr[data-memory]").count() == 1
    _shot(page, tmp_path, "memory")
    page.click(f'a[href="/memory/{fact}"]')
    page.wait_for_selector('li[data-link="out"]')
    assert plan in page.locator('li[data-link="out"]').inner_text()
    page.goto(f"{server.base}/memory/{plan}")
    assert fact in page.locator('li[data-link="in"]').inner_text()  # the same link, seen from its other end
    page.click("button[name=forget]")
    page.wait_for_url(f"{server.base}/memory")
    assert hooks.call("memory_get", workspace=ws, memory_id=plan) is None
    assert hooks.call("memory_get", workspace=ws, memory_id=fact)["links"] == []


def test_the_actions_page_draws_the_report_and_says_what_to_install_without_it(project: Path, web, page,
                                                                                tmp_path: Path) -> None:
    bare: WebServer = web({"KIN_DISABLE_PLUGINS": "actions"})
    page.goto(bare.url.replace("/?", "/actions?"))
    assert "pip install shadeos-actions" in page.locator("#actions-missing").inner_text()
    env = {"KIN_PLUGINS": "web_actions_stub", "KIN_DISABLE_PLUGINS": "actions",
           "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    server: WebServer = web(env)
    page.goto(server.url.replace("/?", "/actions?"))
    assert page.locator('table.performance tr[data-daemon="coding.production"]').count() == 1
    assert "25%" in page.locator("table.performance").inner_text()
    assert page.locator("svg#collaboration line").count() == 1
    assert page.locator("svg#collaboration g.node").count() == 2
    insight = page.locator('.insight[data-rule="slow-model"]')
    assert "p95 of model_call is 4.0s" in insight.inner_text() and 'model = "faster"' in insight.inner_text()
    _shot(page, tmp_path, "actions")


def test_the_actions_page_follows_the_actions_meta_daemon_live(project: Path, write, web, runs, page) -> None:
    server: WebServer = web()  # the real actions plugin
    page.goto(server.url.replace("/?", "/actions?"))
    assert page.locator('table.performance tr[data-daemon="t.bad"]').count() == 0
    page.evaluate("window.loadedOnce = 'yes'")
    write("teams/t.toml", team_toml("t", {"bad": {"command": ["sh", "-c", "echo boom >&2; exit 2"], "every": "0.3s"}})
          + '[meta.actions]\nevery = "0.5s"\nheartbeat = "0.5s"\nstart_seconds = "0.3s"\n')
    runs.append(TeamRun(project, "t"))
    # the meta-daemon rewrites its report; the page follows without a reload: the failing command, then its pattern
    page.wait_for_selector('table.performance tr[data-daemon="t.bad"]', timeout=60000)
    page.wait_for_selector('.insight[data-rule="repeated-failure"]', timeout=60000)
    assert "boom" in page.locator('.insight[data-rule="repeated-failure"]').inner_text()
    assert page.evaluate("window.loadedOnce") == "yes"


def test_every_page_renders_with_a_team_running(project: Path, write, web, runs, page, tmp_path: Path) -> None:
    write("teams/t.toml", team_toml("t", {"worker": {"command": ["true"]}}, mission="demande.md"))
    write("demande.md", "Build the parser.\n")
    write("src/parser.py", "def parse(text):\n    return text.split()\n" * 20)
    run = TeamRun(project, "t")
    runs.append(run)
    wait_for(lambda: (d := run.daemon("worker")) and d.get("state") == "RUNNING", 60, "the worker running")
    server: WebServer = web()
    page.goto(server.url)
    for path in PAGES:
        page.goto(server.base + path)
        assert page.locator("h1").count() == 1 and page.locator("nav a.here").count() == 1, path
        _shot(page, tmp_path, path.strip("/") or "team")
    # the map: the tree with token sizes
    page.goto(server.base + "/map")
    assert page.locator('tr[data-path="src/parser.py"]').count() == 1
    # tasks: add, see it live, cancel
    page.goto(server.base + "/tasks")
    page.fill("input[name=text]", "Write the lexer")
    page.click("button[name=add]")
    page.wait_for_selector('tr[data-task][data-state="queued"]')
    queue = TaskQueue(Workspace(project))
    [task] = queue.list("queued")
    assert task.text == "Write the lexer"
    page.click(f'tr[data-task="{task.id}"] button[name=cancel]')
    page.wait_for_selector(f'tr[data-task="{task.id}"][data-state="cancelled"]')
    # assign: the queued task is re-queued for the daemon chosen (its copy names it)
    page.fill("input[name=text]", "Write the tests")
    page.click("button[name=add]")
    second = wait_for(lambda: [t for t in queue.list("queued") if t.text == "Write the tests"], 20, "queued")[0]
    page.select_option(f'tr[data-task="{second.id}"] select[name=to]', "t.worker")
    page.click(f'tr[data-task="{second.id}"] button[name=assign]')
    page.wait_for_selector(f'tr[data-task="{second.id}"][data-state="cancelled"]')
    [copy] = [t for t in queue.list("queued") if t.text == "Write the tests"]
    assert copy.id != second.id and copy.to == "t.worker" and copy.history[0].get("assigned_from") == second.id
    page.wait_for_selector(f'tr[data-task="{copy.id}"][data-state="queued"]')
    assert "t.worker" in page.locator(f'tr[data-task="{copy.id}"]').inner_text()
    # the mission, edited
    page.goto(server.base + "/mission")
    assert page.locator('section[data-team="t"] textarea').input_value() == "Build the parser.\n"
    page.fill('section[data-team="t"] textarea', "Build the parser and the lexer.\n")
    page.click('section[data-team="t"] button[name=save]')
    wait_for(lambda: (project / "demande.md").read_text() == "Build the parser and the lexer.\n", 20, "saved")
    # a daemon's log, followed
    log = project / ".kin" / "logs" / "notes.log"
    log.write_text("first line\n")
    page.goto(server.base + "/logs/notes.log?follow=1")
    with open(log, "a") as handle:
        handle.write("second line api_key=sk-abcdefghijklmnopqrstuvwx\n")
    wait_for(lambda: "second line" in page.locator("#log").inner_text(), 20, "the new line")
    assert "sk-abcdefghijklmnopqrstuvwx" not in page.locator("#log").inner_text()
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0


def test_the_map_page_follows_the_map_daemon_live(project: Path, write, web, runs, page) -> None:
    write("notes.md", "word " * 40 + "\n")
    write("teams/m.toml", '[team]\nname = "m"\ncycle = "0.2s"\nstop_timeout = "5s"\n[meta.map]\nheartbeat = "0.5s"\n'
                          'start_seconds = "0.3s"\ndebounce = "100ms"\nrescan = "1h"\n')
    run = TeamRun(project, "m")
    runs.append(run)
    wait_for(lambda: (project / ".kin" / "state" / "phase.json").exists(), 60, lambda: run.output)
    server: WebServer = web()
    page.goto(server.url.replace("/?", "/map?"))
    page.wait_for_selector('tr[data-path="notes.md"]')
    assert page.locator('tr[data-path="later.md"]').count() == 0
    page.evaluate("window.loadedOnce = 'yes'")
    write("later.md", "word " * 500 + "\n")  # the map daemon measures it; the page follows without a reload
    page.wait_for_selector('tr[data-path="later.md"]', timeout=60000)
    assert page.evaluate("window.loadedOnce") == "yes"
