"""The gate's rules: every kind of path an agent must never read or write, and its files globs."""
from __future__ import annotations

import os

import pytest

from shadeos_agents.policy import PathPolicy, Refused
from shadeos_core.workspace import Workspace


@pytest.fixture
def policy(project):
    (project / "src").mkdir()
    (project / "src" / "app.py").write_text("x = 1\n")
    return PathPolicy(Workspace(project), files=["src/**", "README.md"], secrets=["conf/*.ini"],
                      private_dirs=[project / "llmconf"])


@pytest.mark.parametrize("path, reason", [
    ("", "a path is needed"),
    ("/etc/passwd", "absolute paths are refused"),
    ("~/.ssh/id_rsa", "absolute paths are refused"),
    ("../outside.txt", "'..' is refused"),
    ("src/../../outside.txt", "'..' is refused"),
    (".git/config", ".git/ is off limits"),
    ("sub/.git/HEAD", ".git/ is off limits"),
    (".kin/tasks/new/x.json", ".kin/ is off limits"),
    (".luciorbe.team.other", "luciorbe files belong"),
    ("src/.luciorbe.team.x", "luciorbe files belong"),
    (".env", "holds secrets"),
    ("src/.env.production", "holds secrets"),
    ("deploy/server.pem", "holds secrets"),
    ("home/id_ed25519", "holds secrets"),
    ("conf/db.ini", "holds secrets"),
    ("llmconf/keys.json", "holds secrets"),
    ("llmconf/extra-openai-models.yaml", "llm's configuration"),
    ("a\x00b", "NUL"),
])
def test_refused_for_reading_and_writing(policy, path, reason):
    for check in (policy.check_read, policy.check_write):
        with pytest.raises(Refused, match=reason):
            check(path)


def test_writes_outside_the_files_globs_are_refused_but_reads_are_not(policy):
    assert policy.check_write("src/new/module.py") == "src/new/module.py"
    assert policy.check_write("./README.md") == "README.md"
    assert policy.check_read("setup.cfg") == "setup.cfg"
    with pytest.raises(Refused, match=r"outside what this agent may change \(its files = src/\*\*, README.md\)"):
        policy.check_write("setup.cfg")


def test_a_symlink_leading_out_of_the_project_is_refused(policy, project, tmp_path):
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(tmp_path / "secret.txt", project / "src" / "link.txt")
    os.symlink(tmp_path, project / "src" / "outdir")
    for path in ("src/link.txt", "src/outdir/secret.txt"):
        with pytest.raises(Refused, match="leads outside the project"):
            policy.check_read(path)
        with pytest.raises(Refused, match="leads outside the project"):
            policy.check_write(path)


def test_a_symlink_inside_the_project_may_be_read_but_not_written_through(policy, project):
    os.symlink(project / "src" / "app.py", project / "src" / "alias.py")
    assert policy.check_read("src/alias.py") == "src/alias.py"
    with pytest.raises(Refused, match="writing through a symlink"):
        policy.check_write("src/alias.py")


def test_a_symlink_to_a_secret_inside_the_project_is_refused(policy, project):
    (project / ".env").write_text("TOKEN=x\n")
    os.symlink(project / ".env", project / "src" / "settings.txt")
    with pytest.raises(Refused, match="holds secrets"):
        policy.check_read("src/settings.txt")


def test_no_files_globs_means_the_whole_project(project):
    assert PathPolicy(Workspace(project)).check_write("any/where.txt") == "any/where.txt"
