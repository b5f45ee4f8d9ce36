"""Any file name the file system allows (bytes that are not UTF-8, a newline, a tab, 250 characters): stored,
printed and sent as JSON without an internal error, escaped for display, read back to the same name."""
from __future__ import annotations

import json
import os

from chaos_kit import chaos_env

from shadeos_core.testing import TeamRun, wait_for

NAMES = [b"bad\xff.md", b"new\nline.md", b"tab\tname.md", b"x" * 250 + b".md", b"odd\xfedir/inside.md"]


def make(project):
    for raw in NAMES:
        path = os.path.join(os.fsencode(project), raw)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(b"# a document\n" * 20)
    with open(os.path.join(os.fsencode(project), b"odd\xfedir", b".luciorbe.t.x"), "wb") as handle:
        handle.write(b"{not json")


def test_odd_file_names_never_break_a_command(project, kin):
    make(project)
    env = chaos_env()
    mapped = json.loads(kin("map", "--json", cwd=project, env=env, check=True).stdout)
    names = {os.fsencode(f["path"]) for f in mapped["files"]}  # what was read is what is on disk
    assert set(NAMES) <= names
    text = kin("map", "--write", cwd=project, env=env, check=True).stdout
    assert "bad\\xff.md" in text and "new\\nline.md" in text  # escaped, one line each
    written = (project / ".kin" / "map.md").read_text(encoding="utf-8")
    assert "- bad\\xff.md" in written and "- new\\nline.md" in written
    cache = json.loads((project / ".kin" / "state" / "map-cache.json").read_text(encoding="utf-8"))
    assert any("\udcff" in path for path in cache["files"])  # the cache round-trips the raw name
    assert kin("map", "--json", cwd=project, env=env, check=True).returncode == 0  # and reads it back
    checked = kin("check", "--json", cwd=project, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr  # the malformed luciorbe is no check error
    listed = json.loads(kin("luciorbe", "list", "--json", cwd=project, env=env, check=True).stdout)
    assert [os.fsencode(item["path"]) for item in listed] == [b"odd\xfedir/.luciorbe.t.x"]
    shown = kin("luciorbe", "list", cwd=project, env=env, check=True).stdout
    assert "odd\\xfedir/.luciorbe.t.x" in shown
    cleaned = kin("luciorbe", "clean", cwd=project, env=env, check=True)
    assert "quarantine" in cleaned.stdout and "odd\\xfedir" in cleaned.stdout
    for proc in (checked, cleaned):
        assert "internal error" not in proc.stderr


def test_a_team_maps_odd_file_names_as_it_works(project, write):
    make(project)
    write("teams/t.toml", '[team]\ncycle = "0.2s"\n[meta.map]\nheartbeat = "0.5s"\nstart_seconds = "0.3s"\n')
    run = TeamRun(project, "t", chaos_env())
    try:
        wait_for(lambda: (project / ".kin" / "state" / "phase.json").exists(), 60, lambda: run.output)
        with open(os.path.join(os.fsencode(project), b"new\xffer.md"), "wb") as handle:
            handle.write(b"# added while the team runs\n")
        written = project / ".kin" / "map.md"
        wait_for(lambda: written.exists() and "new\\xffer.md" in written.read_text(encoding="utf-8"), 30,
                 lambda: f"the new odd name in the map\n{run.output}")
        # the map may be written before the published state says RUNNING (start_seconds): wait for that too
        wait_for(lambda: run.daemon("map")["state"] == "RUNNING", 30, lambda: f"the map RUNNING\n{run.output}")
        assert run.daemon("map")["restarts"] == 0
    finally:
        assert run.stop() == 0, run.output
