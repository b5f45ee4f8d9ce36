"""A daemon's log holds kin's own lines: the libraries a model call goes through (llm, its HTTP client) do not
write their routine chatter there."""
from __future__ import annotations

import logging

from agents_testkit import TeamRun, agent_team, call, scripted

from shadeos_core.logcap import QUIET_LIBRARIES


def test_an_agent_log_has_no_http_client_chatter(repo, fake, llm_env, runs):
    fake.script = scripted("Write notes.md", [call("write_file", path="notes.md", content="n\n")])
    (repo / "teams").mkdir(exist_ok=True)
    (repo / "teams" / "solo.toml").write_text(agent_team("solo", {"production": {"model": "fake-tools"}}))
    runs.append(run := TeamRun(repo, "solo", llm_env))
    assert run.cycles("production")[0]["outcome"] == "ok"
    assert len(fake.requests) >= 2  # the model was called: an HTTP client logged each request at INFO
    path = repo / ".kin" / "logs" / "solo.production.log"
    log = path.read_text() if path.exists() else ""  # created at the first line worth writing
    assert "HTTP Request" not in log and "httpx" not in log
    assert run.stop() == 0


def test_library_chatter_is_filtered_but_kin_lines_and_library_errors_are_kept(tmp_path):
    from shadeos_core.logcap import LogLimits, rotating_handler

    handler = rotating_handler(tmp_path / "d.log", LogLimits())
    logger = logging.getLogger("kin-test-quiet")
    for name, level, text in (("httpx2._client", logging.INFO, "HTTP Request: POST"),
                              ("httpx2._client", logging.ERROR, "connection refused"),
                              ("watchdog.observers.inotify", logging.ERROR, "queue_events() called"),
                              ("shadeos_agents.daemon", logging.INFO, "cycle done"),
                              ("kin_hello.plugin", logging.INFO, "hello")):
        handler.handle(logger.makeRecord(name, level, __file__, 1, text, (), None))
    handler.close()
    written = (tmp_path / "d.log").read_text()
    assert "HTTP Request" not in written and "queue_events" not in written
    assert "connection refused" in written and "cycle done" in written and "hello" in written
    assert QUIET_LIBRARIES["httpx2"] == logging.ERROR
