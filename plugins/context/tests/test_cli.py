"""`kin context` as people and scripts use it: the real command line in a real workspace."""
from __future__ import annotations

import json
from pathlib import Path


def test_set_get_list_round_trip(project: Path, kin) -> None:
    done = kin("context", "set", "coding.production", "task_states", '{"parse": {"status": "running"}}',
               "--ttl", "10m", cwd=project, check=True)
    assert "stored coding.production/task_states, expires in 9m" in done.stdout or "expires in 10m" in done.stdout
    kin("context", "set", "coding.validation", "daemon_patterns", "-", cwd=project, check=True,
        input='{"prefers": ["pytest"]}')

    plain = kin("context", "get", "coding.production", "task_states", cwd=project, check=True)
    assert json.loads(plain.stdout) == {"parse": {"status": "running"}}
    full = json.loads(kin("context", "get", "coding.validation", "daemon_patterns", "--json", cwd=project,
                          check=True).stdout)
    assert full["data"] == {"prefers": ["pytest"]} and full["ttl"] == 86400.0
    assert full["expires_at"] - full["stored_at"] == 86400.0

    listed = json.loads(kin("context", "list", "--json", cwd=project, check=True).stdout)
    assert [(r["daemon_id"], r["context_type"], r["ttl"]) for r in listed] == [
        ("coding.production", "task_states", 600.0), ("coding.validation", "daemon_patterns", 86400.0)]
    assert all(r["persisted"] is False for r in listed)
    table = kin("context", "list", cwd=project, check=True).stdout
    assert "coding.production" in table and "task_states" in table


def test_get_of_an_absent_entry_fails_clearly(project: Path, kin) -> None:
    proc = kin("context", "get", "nobody", "task_states", cwd=project)
    assert proc.returncode == 1
    assert "no context 'task_states' for daemon 'nobody'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_input_is_rejected_in_one_line(project: Path, kin) -> None:
    cases = [
        (("context", "set", "../evil", "task_states", "{}"), "invalid daemon id '../evil'"),
        (("context", "set", "d", "task_states", "{not json"), "the JSON argument is not valid JSON"),
        (("context", "set", "d", "task_states", "[1, 2]"), "the value must be a JSON object"),
        (("context", "set", "d", "task_states", "{}", "--ttl", "soon"), "bad duration 'soon'"),
        (("context", "get", "d/../x", "task_states"), "invalid daemon id"),
    ]
    for args, message in cases:
        proc = kin(*args, cwd=project)
        assert proc.returncode == 2, (args, proc.stderr)
        # Other plugins may warn on stderr; the error itself is one line, without a traceback.
        errors = [line for line in proc.stderr.splitlines() if line.startswith("kin: error:")]
        assert len(errors) == 1 and message in errors[0] and "Traceback" not in proc.stderr, proc.stderr
    assert not (project.parent / "evil").exists()
    assert kin("context", "list", "--json", cwd=project, check=True).stdout.strip() == "[]"


def test_persist_and_enrich_through_the_archive_hooks(project: Path, kin, stub_env, stub) -> None:
    kin("context", "set", "t.a", "task_states", '{"parser": "done"}', cwd=project, check=True)
    first = json.loads(kin("context", "persist", "--json", cwd=project, env=stub_env, check=True).stdout)
    assert [(p["daemon_id"], p["context_type"], p["trigger"]) for p in first] == [("t.a", "task_states", "explicit")]
    again = kin("context", "persist", cwd=project, env=stub_env, check=True)
    assert again.stdout.strip() == "nothing new to persist"
    listed = json.loads(kin("context", "list", "--json", cwd=project, check=True).stdout)
    assert listed[0]["persisted"] is True

    enriched = json.loads(kin("context", "enrich", "t.a", "task_states", "parser", "--json", cwd=project,
                              env=stub_env, check=True).stdout)
    assert enriched["context"] == {"parser": "done"}
    assert [m["id"] for m in enriched["memories"]] == [first[0]["memory_id"]]
    human = kin("context", "enrich", "t.a", "task_states", "parser", cwd=project, env=stub_env, check=True)
    assert first[0]["memory_id"] in human.stdout


def test_without_the_archivist_persist_and_enrich_say_what_to_install(project: Path, kin) -> None:
    env = {"KIN_DISABLE_PLUGINS": "archivist"}
    kin("context", "set", "t.a", "task_states", '{"x": 1}', cwd=project, check=True)
    proc = kin("context", "persist", cwd=project, env=env)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == \
        "kin: error: context persistence needs the archivist: pip install shadeos-archivist"
    enriched = kin("context", "enrich", "t.a", "task_states", "x", cwd=project, env=env, check=True)
    assert json.loads(enriched.stdout) == {"x": 1}
    assert "context enrichment needs the archivist: pip install shadeos-archivist" in enriched.stderr


def test_every_command_has_help(project: Path, kin) -> None:
    for sub in ("get", "set", "list", "enrich", "persist"):
        proc = kin("context", sub, "--help", cwd=project, check=True)
        assert "Usage" in proc.stdout and len(proc.stdout.splitlines()) > 4
