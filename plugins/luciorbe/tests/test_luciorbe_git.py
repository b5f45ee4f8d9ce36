"""The git side: `kin check` on real repositories, `kin hooks install`, a refused `git commit`, pre-commit try-repo."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from luciorbe_testkit import REPO_ROOT, kin_env, plant

DEAD_PID = 2**22 + 17


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=check, env=kin_env())


def luciorbe_findings(kin, project: Path, *args: str) -> tuple[int, list[dict]]:
    proc = kin("check", "--json", *args, cwd=project)
    return proc.returncode, [f for f in json.loads(proc.stdout) if f["check"] == "luciorbes"]


def test_kin_check_fails_on_a_committed_luciorbe(git_repo: Path, kin) -> None:
    code, findings = luciorbe_findings(kin, git_repo)
    assert findings == []
    (git_repo / "src").mkdir()
    (git_repo / "src" / ".luciorbe.t.oops").write_text("{}")  # what it holds does not matter to git
    git(git_repo, "add", "-f", "src/.luciorbe.t.oops")
    code, findings = luciorbe_findings(kin, git_repo)
    assert code == 1
    assert [(f["level"], f["path"]) for f in findings if "staged" in f["message"]] == [("error", "src/.luciorbe.t.oops")]
    git(git_repo, "commit", "-q", "--no-verify", "-m", "a luciorbe slipped in")
    code, findings = luciorbe_findings(kin, git_repo)
    assert code == 1
    tracked = [f for f in findings if "tracked by git" in f["message"]]
    assert [(f["level"], f["path"]) for f in tracked] == [("error", "src/.luciorbe.t.oops")]
    assert "git rm --cached src/.luciorbe.t.oops" in tracked[0]["hint"]
    git(git_repo, "rm", "-q", "--cached", "src/.luciorbe.t.oops")
    code, findings = luciorbe_findings(kin, git_repo)
    assert not [f for f in findings if f["level"] == "error" and "git" in f["message"]]


def test_stale_or_dead_luciorbes_in_the_work_tree_warn_or_fail_with_strict(project: Path, kin) -> None:
    plant(project / "src", "t.dead", pid=DEAD_PID, pid_started=1.0)
    code, findings = luciorbe_findings(kin, project)  # not a git repository: the git part is skipped
    assert [(f["level"], f["path"]) for f in findings] == [("warning", "src/.luciorbe.t.dead")]
    assert "dead" in findings[0]["message"]
    code, findings = luciorbe_findings(kin, project, "--strict")
    assert code == 1 and [f["level"] for f in findings] == ["error"]
    # with FILES, only the luciorbes beside those files are looked at
    (project / "src" / "a.py").write_text("x = 1\n")
    (project / "other").mkdir()
    (project / "other" / "b.py").write_text("y = 2\n")
    assert [f["path"] for f in luciorbe_findings(kin, project, "src/a.py")[1]] == ["src/.luciorbe.t.dead"]
    assert luciorbe_findings(kin, project, "other/b.py")[1] == []


def test_hooks_install_then_a_real_commit_is_refused(git_repo: Path, kin) -> None:
    out = kin("hooks", "install", cwd=git_repo, env=kin_env(), check=True).stdout
    hook = git_repo / ".git" / "hooks" / "pre-commit"
    assert "installed" in out and os.access(hook, os.X_OK)
    assert hook.read_bytes() == (REPO_ROOT / "hooks" / "pre-commit").read_bytes()
    assert "already installed" in kin("hooks", "install", cwd=git_repo, check=True).stdout

    (git_repo / "notes.txt").write_text("fine\n")
    git(git_repo, "add", "notes.txt")
    git(git_repo, "commit", "-q", "-m", "an ordinary commit passes the hook")

    (git_repo / ".luciorbe.t.x").write_text("{}")
    git(git_repo, "add", "-f", ".luciorbe.t.x")
    head = git(git_repo, "rev-parse", "HEAD").stdout
    refused = git(git_repo, "commit", "-m", "with a luciorbe", check=False)
    assert refused.returncode != 0
    assert ".luciorbe.t.x" in refused.stdout + refused.stderr
    assert git(git_repo, "rev-parse", "HEAD").stdout == head


def test_hooks_install_refuses_to_overwrite_a_different_hook_unless_forced(git_repo: Path, kin, tmp_path: Path) -> None:
    hook = git_repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho mine\n")
    refused = kin("hooks", "install", cwd=git_repo)
    assert refused.returncode == 2 and "--force" in refused.stderr and "already exists" in refused.stderr
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    forced = json.loads(kin("hooks", "install", "--force", "--json", cwd=git_repo, check=True).stdout)
    assert forced["outcome"] == "replaced"
    assert Path(forced["backup"]).read_text() == "#!/bin/sh\necho mine\n"
    assert hook.read_bytes() == (REPO_ROOT / "hooks" / "pre-commit").read_bytes()

    plain = tmp_path / "not-a-repo"
    plain.mkdir()
    (plain / "kin.toml").write_text("")
    outside = kin("hooks", "install", cwd=plain, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert outside.returncode == 2 and "git" in outside.stderr and "Traceback" not in outside.stderr


@pytest.mark.slow
@pytest.mark.timeout(900)  # try-repo installs kin from PyPI
def test_pre_commit_try_repo_runs_the_kin_check_hook_without_kin_on_path(tmp_path: Path) -> None:
    # The hook installs kin itself (language: python), so no kin on PATH is needed: pre-commit's own env has it.
    repo = tmp_path / "user-repo"
    repo.mkdir()
    path = os.pathsep.join(d for d in os.environ.get("PATH", "").split(os.pathsep)
                           if d and d != os.path.dirname(sys.executable) and not shutil.which("kin", path=d))
    env = {**os.environ, "PATH": path, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("VIRTUAL_ENV", None)
    assert shutil.which("kin", path=path) is None

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), cwd=repo, capture_output=True, text=True, env=env, timeout=1200)

    run("git", "init", "-q", "-b", "main")
    (repo / "app.py").write_text("print('hi')\n")
    (repo / ".luciorbe.t.x").write_text("{}")
    run("git", "add", "app.py", ".luciorbe.t.x")
    # one run (each try-repo installs the hook's environment afresh): kin is there and refuses the luciorbe
    failed = run(sys.executable, "-m", "pre_commit", "try-repo", str(REPO_ROOT), "kin-check")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Executable `kin` not found" not in failed.stdout
    assert "Failed" in failed.stdout and ".luciorbe.t.x: luciorbe staged for commit" in failed.stdout
