"""The Team page in a real Chromium: a running team live, a restart followed without reloading, the controls
(a daemon stopped from the page stays down until started from it)."""
from __future__ import annotations

from pathlib import Path

from web_testkit import WebServer, png_is_blank, team_toml

from shadeos_core.processes import process_matches
from shadeos_core.testing import TeamRun, wait_for


def _row(page, name: str):
    return page.locator(f'tr[data-daemon="{name}"]')


def test_the_team_page_follows_a_restart_live_and_stops_a_daemon(project: Path, write, web, runs, page,
                                                                   tmp_path: Path) -> None:
    write("teams/t.toml", team_toml("t", {"a": {"command": ["true"]}, "b": {"command": ["true"]}}))
    run = TeamRun(project, "t")
    runs.append(run)
    wait_for(lambda: all((d := run.daemon(n)) and d.get("state") == "RUNNING" for n in "ab"), 60, "a and b running")
    server: WebServer = web()
    page.goto(server.url)
    assert page.url == f"{server.base}/"  # the token left the address for a cookie
    page.wait_for_selector('tr[data-daemon="a"][data-state="RUNNING"]')
    page.wait_for_selector('tr[data-daemon="b"][data-state="RUNNING"]')
    before = run.daemon("a")
    assert _row(page, "a").get_attribute("data-pid") == str(before["pid"])
    page.evaluate("window.loadedOnce = 'yes'")

    _row(page, "a").locator("button[name=restart]").click()
    page.wait_for_selector('tr[data-daemon="a"][data-restarts="1"][data-state="RUNNING"]', timeout=30000)
    after = run.daemon("a")
    assert after["restarts"] == 1 and after["pid"] != before["pid"]
    wait_for(lambda: _row(page, "a").get_attribute("data-pid") == str(after["pid"]), 20, "the new pid on the page")
    assert page.evaluate("window.loadedOnce") == "yes"  # followed live: the page was never reloaded
    assert "asked team t to restart a" in page.locator("#flash").inner_text()

    b = run.daemon("b")
    _row(page, "b").locator("button[name=stop]").click()
    page.wait_for_selector('tr[data-daemon="b"][data-state="STOPPED"]', timeout=30000)
    assert not process_matches(b["pid"], b["pid_started"])
    assert run.daemon("b")["state"] == "STOPPED" and run.daemon("a")["state"] == "RUNNING"
    assert _row(page, "b").locator("button[name=stop]").count() == 0
    assert "stopped by request (asked by kin web)" in run.output
    _row(page, "b").locator("button[name=start]").click()  # held down until a person starts it again
    page.wait_for_selector('tr[data-daemon="b"][data-state="RUNNING"]', timeout=30000)
    assert run.daemon("b")["pid"] != b["pid"]
    shot = page.screenshot(path=str(tmp_path / "team.png"), full_page=True)
    assert not png_is_blank(shot)
    assert page.evaluate("window.loadedOnce") == "yes"


def test_a_team_starts_and_stops_from_the_page(project: Path, write, web, runs, page) -> None:
    write("teams/t.toml", team_toml("t", {"solo": {"command": ["true"]}}, description="one daemon"))
    server: WebServer = web()
    page.goto(server.url)
    assert "No team is running" in page.inner_text("#live")
    page.select_option("select[name=team]", "t")
    page.click("button[name=start]")
    page.wait_for_selector('tr[data-daemon="solo"][data-state="RUNNING"]', timeout=60000)
    assert "started team t" in page.locator("#flash").inner_text()
    # a second start is refused in one line, and nothing else starts
    page.click("button[name=start]")
    wait_for(lambda: "already running" in page.locator("#flash").inner_text(), 20, "the refusal")
    assert page.locator("#flash.error").count() == 1
    page.click("button[name=stop-team]")
    wait_for(lambda: "No team is running" in page.inner_text("#live"), 60, "the team to stop")
    assert not (project / ".kin" / "run" / "teams" / "t.json").exists()
    assert (project / ".kin" / "logs" / "web-t.out").exists()
