"""kin's hook for the pre-commit framework, used as a user would: from kin's repository at a commit.

The user has only pre-commit (a fresh virtual environment, no kin anywhere on PATH); their
.pre-commit-config.yaml names kin's repository and a commit of it; pre-commit installs kin
and the builtin plugins into an environment of its own and refuses a commit that kin check fails.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
QUICKSTART = ROOT / "docs" / "quickstart.md"
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())

# A team naming daemon types from every builtin plugin that has some: `kin check` validates it,
# so it passes only where all of them are installed.
CREW = """\
[team]
description = "A daemon of every builtin plugin"
mission = "mission.md"

[daemons.writer]
type = "agent"
role = "production"
files = ["docs/**"]
every = "10m"

[daemons.tests]
type = "command"
command = ["python", "-c", "pass"]
every = "1m"

[meta.janitor]
[meta.map]
[meta.archivist]
[meta.context]
"""


def manifest_hook() -> dict:
    (hook,) = yaml.safe_load(MANIFEST.read_text())
    return hook


def quickstart_examples() -> list[str]:
    """The .pre-commit-config.yaml examples of the quickstart: the plain one, then the one adding a plugin."""
    return [b for b in re.findall(r"```yaml\n(.*?)```", QUICKSTART.read_text(), re.S) if "repos:" in b]


# -- the manifest and the docs agree (fast) ------------------------------------------------------

def test_the_manifest_installs_kin_with_every_builtin_plugin():
    hook = manifest_hook()
    assert (hook["id"], hook["language"], hook["entry"]) == ("kin-check", "python", "kin check")
    assert sorted(hook["additional_dependencies"]) == [f"./plugins/{name}" for name in PLUGINS]


def test_the_quickstart_says_how_to_get_a_rev_and_to_repeat_the_builtin_plugins():
    text = QUICKSTART.read_text()
    assert "pre-commit autoupdate" in text and "git ls-remote" in text
    plain, with_plugin = (yaml.safe_load(example) for example in quickstart_examples())
    assert [h["id"] for r in plain["repos"] for h in r["hooks"]] == ["kin-check"]
    (repo,) = with_plugin["repos"]
    (hook,) = repo["hooks"]  # pre-commit replaces the manifest's list: the builtin paths must all be there
    assert hook["additional_dependencies"][:-1] == manifest_hook()["additional_dependencies"]
    assert not hook["additional_dependencies"][-1].startswith("./")


# -- the real thing (slow: pre-commit installs kin from PyPI and local paths) ---------------------

def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True,
                          timeout=120).stdout.strip()


@pytest.fixture(scope="module")
def kin_repo(tmp_path_factory) -> tuple[Path, str]:
    """A clone of this repository and a commit of it holding the code under test: HEAD when the work tree
    is clean (as in CI), else a commit of the work tree made in the clone (this repository is left alone)."""
    try:
        head = git(ROOT, "rev-parse", "HEAD")
    except (subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("needs kin's source as a git checkout")
    clone = tmp_path_factory.mktemp("kin-repo") / "kin"
    git(clone.parent, "init", "-q", str(clone))
    git(clone, "fetch", "-q", "--no-tags", str(ROOT), "HEAD")
    git(clone, "checkout", "-q", "-b", "under-test", "FETCH_HEAD")
    assert git(clone, "rev-parse", "HEAD") == head
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout
    for name in {os.fsdecode(n) for n in listed.split(b"\0") if n}:
        source, target = ROOT / name, clone / name
        if target.is_symlink() or target.is_file():
            target.unlink()
        if source.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(clone, "add", "-A")
    if git(clone, "status", "--porcelain"):
        git(clone, "commit", "-q", "--no-verify", "-m", "the work tree under test")
    return clone, git(clone, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def user_env(tmp_path_factory) -> dict[str, str]:
    """A user's environment: a fresh virtual environment holding only pre-commit, and no kin on PATH."""
    venv = tmp_path_factory.mktemp("user") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "pre-commit"], check=True, timeout=600)
    path = [str(venv / "bin")] + [d for d in os.environ.get("PATH", "").split(os.pathsep)
                                  if d and d != os.path.dirname(sys.executable) and not shutil.which("kin", path=d)]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "KIN_PLUGINS")}
    env.update(PATH=os.pathsep.join(path), PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")))
    assert shutil.which("kin", path=env["PATH"]) is None
    assert subprocess.run(["python", "-c", "import shadeos_core"], cwd=venv, env=env, capture_output=True).returncode
    return env


def user_repo(where: Path, env: dict[str, str], config: str, kin_repo: Path) -> Path:
    """A git repository with a kin team, ``config`` (a quickstart example) as its .pre-commit-config.yaml with
    ``kin_repo`` for kin's repository URL, and pre-commit's git hook installed (``pre-commit install``)."""
    repo = where / "user-repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main", env=env)
    (repo / "teams").mkdir()
    (repo / "teams" / "crew.toml").write_text(CREW)
    (repo / ".pre-commit-config.yaml").write_text(config.replace("<kin's repository URL>", str(kin_repo)))
    subprocess.run(["pre-commit", "install"], cwd=repo, env=env, check=True, capture_output=True, timeout=60)
    return repo


def commit(repo: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "commit", "-m", message], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=1200)


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first commit installs kin from PyPI
def test_pre_commit_installs_kin_itself_and_refuses_a_staged_luciorbe(tmp_path, user_env, kin_repo):
    repo = user_repo(tmp_path, user_env, quickstart_examples()[0], kin_repo[0])
    subprocess.run(["pre-commit", "autoupdate", "--repo", str(kin_repo[0])], cwd=repo, env=user_env, check=True,
                   capture_output=True, timeout=120)  # as the quickstart says: it writes the rev
    assert yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["rev"] == kin_repo[1]
    (repo / "mission.md").write_text("Keep the crew busy.\n")
    (repo / "app.py").write_text("print('hi')\n")
    git(repo, "add", "-A", env=user_env)
    clean = commit(repo, user_env, "a clean commit")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"kin check\.+Passed", clean.stderr), clean.stderr  # git gives a hook's stdout to stderr

    (repo / "src").mkdir()
    (repo / "src" / ".luciorbe.crew.writer").write_text("{}")
    (repo / "src" / "more.py").write_text("x = 1\n")
    git(repo, "add", "-A", env=user_env)
    head = git(repo, "rev-parse", "HEAD")
    refused = commit(repo, user_env, "a luciorbe slipped in")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert re.search(r"kin check\.+Failed", out), out
    assert "src/.luciorbe.crew.writer: luciorbe staged for commit" in out
    assert git(repo, "rev-parse", "HEAD") == head

    git(repo, "rm", "-q", "--cached", "src/.luciorbe.crew.writer", env=user_env)
    passed = commit(repo, user_env, "only the code")
    assert passed.returncode == 0, passed.stdout + passed.stderr


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first commit installs kin from PyPI
def test_a_third_party_plugin_joins_through_additional_dependencies(tmp_path, user_env, kin_repo):
    plugin = tmp_path / "kin-hello"  # stands for a plugin from PyPI: a distribution outside kin's repository
    shutil.copytree(kin_repo[0] / "docs" / "examples" / "kin-hello", plugin)
    config = quickstart_examples()[1].replace("<sha>", kin_repo[1]).replace("- kin-foo", f"- {plugin}")
    repo = user_repo(tmp_path, user_env, config, kin_repo[0])
    git(repo, "add", "-A", env=user_env)
    refused = commit(repo, user_env, "a team without its mission")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert "[mission]" in out and "'mission.md', which does not exist" in out  # kin-hello's check

    (repo / "mission.md").write_text("Keep the crew busy.\n")
    git(repo, "add", "mission.md", env=user_env)
    passed = commit(repo, user_env, "with its mission")
    assert passed.returncode == 0, passed.stdout + passed.stderr  # and the builtin plugins' types still resolve
