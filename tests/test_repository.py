"""This repository is a kin workspace of its own: its team validates and its checks pass."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_repositorys_own_team_is_valid_and_its_checks_pass(kin):
    shown = json.loads(kin("teams", "show", "kin-dev", "--json", cwd=ROOT, check=True).stdout)
    assert {d["name"] for d in shown["daemons"]} == {"checks", "tests", "production", "testeur", "documentaliste"}
    assert {m["name"] for m in shown["meta"]} == {"janitor", "map", "archivist", "context"}
    proc = kin("check", cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
