"""The guard: no token, no page; a change is a POST with the page's CSRF token; a GET changes nothing."""
from __future__ import annotations

from pathlib import Path

from web_testkit import WebServer, request, team_toml

from shadeos_core.tasks import TaskQueue
from shadeos_core.testing import TeamRun, wait_for
from shadeos_core.workspace import Workspace
from shadeos_web.security import csrf_for


def test_a_request_without_the_token_is_refused(project: Path, web) -> None:
    server: WebServer = web()
    assert server.host == "127.0.0.1"
    for path in ("/", "/tasks", "/static/kin.js", "/live/team", "/logs"):
        status, _, body = request(server, "GET", path)
        assert status == 401, (path, status)
        assert "token" in body and server.token not in body
    status, _, _ = request(server, "GET", "/?token=not-the-token")
    assert status == 401
    status, _, _ = request(server, "GET", "/", headers={"Cookie": f"kin_web_token_{server.port}=wrong"})
    assert status == 401


def test_the_token_in_the_address_becomes_a_strict_cookie(project: Path, web) -> None:
    server: WebServer = web()
    status, headers, _ = request(server, "GET", f"/tasks?token={server.token}&x=1")
    assert status == 303 and headers["location"] == "/tasks?x=1"
    cookie = headers["set-cookie"]
    assert cookie.startswith(server.cookie()) and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    status, _, body = request(server, "GET", "/tasks", headers={"Cookie": server.cookie()})
    assert status == 200 and "<h1>Tasks</h1>" in body
    assert server.token not in body  # the page holds the derived CSRF token, never the token itself
    assert csrf_for(server.token) in body


def test_a_foreign_host_header_is_refused(project: Path, web) -> None:
    server: WebServer = web()
    status, _, _ = request(server, "GET", "/", headers={"Cookie": server.cookie(), "Host": f"evil.example:{server.port}"})
    assert status == 403


def test_changes_need_post_and_the_csrf_token_and_a_get_changes_nothing(project: Path, write, web, runs) -> None:
    write("teams/t.toml", team_toml("t", {"a": {"command": ["true"]}}))
    run = TeamRun(project, "t")
    runs.append(run)
    wait_for(lambda: (d := run.daemon("a")) and d.get("state") == "RUNNING", 60, "daemon a running")
    pid = run.daemon("a")["pid"]
    server: WebServer = web()
    cookie = {"Cookie": server.cookie()}
    queue = TaskQueue(Workspace(project))
    for path in ("/tasks/add?text=sneaky", "/teams/t/daemons/a/stop", "/teams/t/stop", "/teams/start?team=t"):
        status, _, _ = request(server, "GET", path, headers=cookie)
        assert status == 405, (path, status)
    status, _, _ = request(server, "POST", "/tasks/add", body="text=no+csrf", headers=cookie)
    assert status == 403
    status, _, _ = request(server, "POST", "/tasks/add", body="text=wrong",
                           headers={**cookie, "X-Kin-CSRF": "0" * 64})
    assert status == 403
    status, _, _ = request(server, "POST", "/tasks/add", body="text=no+cookie",
                           headers={"X-Kin-CSRF": csrf_for(server.token)})
    assert status == 401
    status, _, _ = request(server, "DELETE", "/tasks/add", headers={**cookie, "X-Kin-CSRF": csrf_for(server.token)})
    assert status == 405
    assert queue.list() == []
    assert run.daemon("a")["pid"] == pid and run.daemon("a")["state"] == "RUNNING" and run.proc.poll() is None
    status, _, body = request(server, "POST", "/tasks/add", body="text=write+the+parser&to=nobody",
                              headers={**cookie, "X-Kin-CSRF": csrf_for(server.token)})
    assert status == 400 and "no team here has a daemon 'nobody'" in body
    status, _, body = request(server, "POST", "/tasks/add", body="text=write+the+parser&to=a",
                              headers={**cookie, "X-Kin-CSRF": csrf_for(server.token)})
    assert status == 200, body
    assert [t.text for t in queue.list()] == ["write the parser"]


def test_another_interface_needs_expose_and_warns(project: Path, kin, web) -> None:
    refused = kin("web", "--host", "0.0.0.0", "--port", "0", cwd=project, timeout=30)
    assert refused.returncode == 2 and "--expose" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    server: WebServer = web(None, "--host", "0.0.0.0", "--expose")
    assert "warning" in server.output and "reachable from other machines" in server.output
    status, _, _ = request(server, "GET", "/")
    assert status == 401
