"""The git hook of `kin hooks install` checks what a commit brings, as pre-commit does.

A real repository, the real installed hook, real `git commit`s: a document committed long ago that a
file-based check flags no longer blocks every later commit; a staged file it flags does; a luciorbe
staged or tracked anywhere does; `kin check --all` still reports everything.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shadeos_core.checks import staged_files

REPO_ROOT = Path(__file__).resolve().parents[1]
HOOK = REPO_ROOT / "hooks" / "pre-commit"
MAP_LIMITS = "[map]\nlong = 50\ntoo_long = 100\n"  # tokens: a few hundred words are too long
LONG = "word " * 400 + "\n"

# The hook `kin hooks install` wrote before it checked only the staged files, byte for byte.
EARLIER_HOOK = """#!/bin/sh
# kin pre-commit hook: refuse a commit when `kin check` finds an error,
# such as a luciorbe (.luciorbe*) tracked or staged for commit.
# Installed by `kin hooks install`; skip it once with `git commit --no-verify`.
if command -v kin >/dev/null 2>&1; then
    exec kin check
fi
echo "kin pre-commit hook: 'kin' is not on PATH, so the commit cannot be checked" \\
     "(install it: pip install shadeos shadeos-luciorbe, or commit with --no-verify)" >&2
exit 1
"""


def hook_env() -> dict[str, str]:
    """The hook runs `kin` from PATH: the interpreter running these tests has it beside itself."""
    return {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=check, env=hook_env(),
                          timeout=300)


def commit(repo: Path, *args: str) -> tuple[int, str]:
    """``git commit …`` through the installed hook: its exit code and output (git gives the hook's to stderr)."""
    proc = git(repo, "commit", *args, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def refused(repo: Path, *args: str) -> str:
    head = git(repo, "rev-parse", "HEAD").stdout
    code, out = commit(repo, *args)
    assert code != 0, out
    assert git(repo, "rev-parse", "HEAD").stdout == head
    return out


def accepted(repo: Path, *args: str) -> str:
    code, out = commit(repo, *args)
    assert code == 0, out
    return out


@pytest.fixture
def hooked(git_repo: Path, kin) -> Path:
    """A repository whose history holds a document too long for the map check, with kin's hook installed."""
    (git_repo / "kin.toml").write_text(MAP_LIMITS)
    (git_repo / "docs").mkdir()
    (git_repo / "docs" / "old.md").write_text(LONG)
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "a long document, from before the limits")
    installed = json.loads(kin("hooks", "install", "--json", cwd=git_repo, check=True).stdout)
    assert installed["outcome"] == "created" and Path(installed["path"]).read_bytes() == HOOK.read_bytes()
    return git_repo


def test_an_old_long_document_does_not_block_a_commit_of_another_file(hooked: Path, kin) -> None:
    (hooked / "notes.md").write_text("A short note.\n")
    git(hooked, "add", "notes.md")
    out = accepted(hooked, "-m", "a note")
    assert "kin check: 0 error(s)" in out and "old.md" not in out

    everything = kin("check", "--all", "--json", cwd=hooked)
    assert everything.returncode == 1
    assert [(f["level"], f["path"]) for f in json.loads(everything.stdout) if f["check"] == "map"] == [
        ("error", "docs/old.md")]
    assert json.loads(kin("check", "--json", cwd=hooked).stdout) == json.loads(everything.stdout)  # bare = --all


def test_a_staged_document_the_check_flags_blocks_the_commit(hooked: Path) -> None:
    (hooked / "docs" / "new.md").write_text(LONG)
    git(hooked, "add", "docs/new.md")
    out = refused(hooked, "-m", "another long document")
    assert "✗ error [map] docs/new.md:" in out and "docs/old.md" not in out


def test_the_hook_checks_the_index_of_the_commit_being_made(hooked: Path) -> None:
    # `git commit PATH` commits PATH from the work tree through an index of its own (GIT_INDEX_FILE)
    (hooked / "docs" / "old.md").write_text(LONG + "One more line.\n")
    out = refused(hooked, "-m", "touch the long document", "docs/old.md")
    assert "✗ error [map] docs/old.md:" in out
    (hooked / "docs" / "old.md").write_text("Split: the rest is in old-2.md.\n")
    accepted(hooked, "-m", "split it", "docs/old.md")


def test_a_staged_luciorbe_blocks_the_commit(hooked: Path) -> None:
    (hooked / "src").mkdir()
    (hooked / "src" / "app.py").write_text("print('hi')\n")
    (hooked / "src" / ".luciorbe.t.x").write_text("{}")
    git(hooked, "add", "src/app.py", "src/.luciorbe.t.x")
    out = refused(hooked, "-m", "a luciorbe slipped in")
    assert "src/.luciorbe.t.x: luciorbe staged for commit" in out


def test_a_tracked_luciorbe_anywhere_blocks_every_commit_until_untracked(hooked: Path) -> None:
    deep = hooked / "a" / "b"
    deep.mkdir(parents=True)
    (deep / ".luciorbe.t.old").write_text("{}")
    git(hooked, "add", "a/b/.luciorbe.t.old")
    git(hooked, "commit", "-q", "--no-verify", "-m", "a luciorbe got past the hook")

    (hooked / "elsewhere.txt").write_text("unrelated\n")
    git(hooked, "add", "elsewhere.txt")
    out = refused(hooked, "-m", "an unrelated file")
    assert "a/b/.luciorbe.t.old: luciorbe tracked by git" in out and "git rm --cached a/b/.luciorbe.t.old" in out

    git(hooked, "reset", "-q", "elsewhere.txt")
    git(hooked, "rm", "-q", "--cached", "a/b/.luciorbe.t.old")
    out = accepted(hooked, "-m", "untrack the luciorbe")  # the commit only deletes: no file to check
    assert "nothing to check" in out
    git(hooked, "add", "elsewhere.txt")
    assert "kin check: 0 error(s)" in accepted(hooked, "-m", "then the unrelated file")


def test_kin_check_staged_lists_what_git_has_staged(hooked: Path, kin) -> None:
    assert staged_files(hooked) == []
    nothing = kin("check", "--staged", cwd=hooked)
    assert nothing.returncode == 0 and "nothing to check" in nothing.stdout
    (hooked / "sub").mkdir()
    (hooked / "sub" / "new.md").write_text(LONG)
    (hooked / "sub" / "gone.txt").write_text("x\n")
    git(hooked, "add", "sub")
    git(hooked, "commit", "-q", "--no-verify", "-m", "sub")
    (hooked / "sub" / "new.md").write_text(LONG + "more\n")
    git(hooked, "add", "sub/new.md")
    git(hooked, "rm", "-q", "sub/gone.txt")
    assert staged_files(hooked / "sub") == [(hooked / "sub" / "new.md")]
    from_below = kin("check", "--staged", "--json", cwd=hooked / "sub")  # paths are the repository's, from anywhere
    assert from_below.returncode == 1
    assert [f["path"] for f in json.loads(from_below.stdout) if f["check"] == "map"] == ["sub/new.md"]


def test_kin_check_options_say_what_is_wrong_in_one_line(git_repo: Path, kin, tmp_path: Path) -> None:
    (git_repo / "a.md").write_text("a\n")
    both = kin("check", "--all", "a.md", cwd=git_repo)
    assert both.returncode == 2 and "give FILES, --staged or --all, not several" in both.stderr
    assert kin("check", "--staged", "--all", cwd=git_repo).returncode == 2
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "kin.toml").write_text("")
    outside = kin("check", "--staged", cwd=plain, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert outside.returncode == 2 and "Traceback" not in outside.stderr
    assert outside.stderr.strip().count("\n") == 0 and "needs a git repository" in outside.stderr
    helped = kin("check", "--help", cwd=git_repo).stdout
    assert "--staged" in helped and "--all" in helped and "bare" in helped


def test_hooks_install_updates_the_hook_an_earlier_kin_installed(git_repo: Path, kin) -> None:
    hook = git_repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(EARLIER_HOOK)
    hook.chmod(0o755)
    out = kin("hooks", "install", cwd=git_repo, check=True).stdout
    assert out.startswith("updated kin's pre-commit hook")
    assert hook.read_bytes() == HOOK.read_bytes() and os.access(hook, os.X_OK)
    assert not hook.with_name("pre-commit.kin-backup").exists()
    hook.write_text(EARLIER_HOOK + "echo mine\n")  # edited by its owner: not kin's to overwrite any more
    assert kin("hooks", "install", cwd=git_repo).returncode == 2
