"""``kin check``: too-long documents fail it, long ones warn; through the real pre-commit client in a real git repo."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from map_testing import words, words_env

REPO_ROOT = Path(__file__).resolve().parents[3]
LOCAL_CONFIG = """
repos:
  - repo: local
    hooks:
      - id: kin-check
        name: kin check
        entry: kin check
        language: system
        pass_filenames: true
"""


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, text=True, capture_output=True)


def _hook_env(tmp_path: Path) -> dict[str, str]:
    # The hook runs `kin` from PATH: the interpreter running these tests has it next to itself.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, **words_env(), "PATH": path, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}


def _map_findings(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["check"] == "map"]


def test_check_whole_workspace_only_measures_documents(project, write, kin_words):
    write("docs/big.md", words(12001))
    write("docs/long.rst", words(6001))
    write("docs/fine.txt", words(6000))
    write("src/huge.py", words(20000))
    findings, _ = kin_words("check", "--json", cwd=project, expect=1)
    found = {(f["level"], f["path"]) for f in _map_findings(findings)}
    assert found == {("error", "docs/big.md"), ("warning", "docs/long.rst")}


def test_check_with_file_names_measures_only_those(project, write, kin_words):
    write("docs/big.md", words(12001))
    write("docs/small.md", words(10))
    write("docs/long.md", words(7000))
    findings, _ = kin_words("check", "--json", "docs/small.md", "docs/long.md", cwd=project, expect=0)
    assert [(f["level"], f["path"], f["message"]) for f in _map_findings(findings)] == [
        ("warning", "docs/long.md", "7000 tokens, over 6000")]
    proc = kin_words("check", "docs/big.md", cwd=project, expect=1)
    assert "docs/big.md" in proc.stdout and "split it" in proc.stdout


def test_pre_commit_hook_blocks_a_too_long_staged_document_until_it_is_split(git_repo, write, tmp_path):
    env = _hook_env(tmp_path)
    write(".pre-commit-config.yaml", LOCAL_CONFIG)
    _git(git_repo, "add", ".pre-commit-config.yaml")
    assert _git(git_repo, "commit", "-q", "-m", "hooks").returncode == 0
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=git_repo, env=env,
                               text=True, capture_output=True)
    assert installed.returncode == 0, installed.stderr

    write("docs/spec.md", words(12001))
    _git(git_repo, "add", "docs/spec.md")
    blocked = subprocess.run(["git", "commit", "-m", "add the spec"], cwd=git_repo, env=env, text=True,
                             capture_output=True, timeout=120)
    assert blocked.returncode != 0
    assert "docs/spec.md" in blocked.stdout + blocked.stderr
    assert _git(git_repo, "log", "--format=%s", "-1").stdout.strip() == "hooks"

    (git_repo / "docs" / "spec.md").unlink()
    write("docs/spec-1-overview.md", words(6000))
    write("docs/spec-2-details.md", words(6001))
    _git(git_repo, "add", "-A", "docs")
    passed = subprocess.run(["git", "commit", "-m", "add the spec in two parts"], cwd=git_repo, env=env, text=True,
                            capture_output=True, timeout=120)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert _git(git_repo, "log", "--format=%s", "-1").stdout.strip() == "add the spec in two parts"


def _manifest_has_kin_check() -> bool:
    proc = _git(REPO_ROOT, "show", "HEAD:.pre-commit-hooks.yaml")
    return proc.returncode == 0 and "kin-check" in proc.stdout


@pytest.mark.slow  # each try-repo installs kin and its plugins into an environment of pre-commit's own
@pytest.mark.timeout(1800)
@pytest.mark.skipif(not _manifest_has_kin_check(), reason="the repository has no committed .pre-commit-hooks.yaml yet")
def test_try_repo_against_this_repository(git_repo, write, tmp_path):
    env = _hook_env(tmp_path)
    write("docs/spec.md", words(12001))
    _git(git_repo, "add", "docs/spec.md")
    argv = [sys.executable, "-m", "pre_commit", "try-repo", str(REPO_ROOT), "kin-check", "--files", "docs/spec.md"]
    failing = subprocess.run(argv, cwd=git_repo, env=env, text=True, capture_output=True, timeout=1200)
    assert failing.returncode != 0 and "docs/spec.md" in failing.stdout, failing.stdout + failing.stderr
    write("docs/spec.md", words(5000))
    _git(git_repo, "add", "docs/spec.md")
    passing = subprocess.run(argv, cwd=git_repo, env=env, text=True, capture_output=True, timeout=1200)
    assert passing.returncode == 0, passing.stdout + passing.stderr
