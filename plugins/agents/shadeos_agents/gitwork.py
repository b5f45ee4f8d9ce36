"""Committing an agent's work: one commit of exactly the files it changed, authored as the agent.

``git commit -- <paths>`` commits those paths as they are in the work tree
and nothing else: what the user or another agent staged or changed elsewhere
stays out. New files are added first. Agents of a workspace take turns
(an ``flock`` on ``.kin/agents/git.lock``), and a ``index.lock`` left by
someone else (the user's own git, say) is waited for, so neither fails a cycle.
"""
from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shadeos_core.fsio import file_lock

__all__ = ["GitRepo", "CommitFailed"]

_LOCK_RETRIES = 40
#: The first line ``git commit`` prints: ``[main 1a2b3c4] message`` (``(root-commit)`` for the first one).
_MADE = re.compile(r"^\[[^\]]*?([0-9a-f]{7,40})\]", re.M)
_NOTHING = ("nothing to commit", "no changes added to commit", "nothing added to commit")


class CommitFailed(Exception):
    """git refused the commit (a hook said no, say); the message is git's own first lines."""


@dataclass
class GitRepo:
    """The git work tree a workspace is in (``root`` is where git runs: the workspace root)."""

    root: Path
    lock_path: Path
    identity_configured: bool

    @classmethod
    def find(cls, workspace_root: Path, lock_dir: Path) -> GitRepo | None:
        """The repository of ``workspace_root``, or ``None`` when it is not in a git work tree (or git is missing)."""
        try:
            inside = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=workspace_root,
                                    capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        email = subprocess.run(["git", "config", "user.email"], cwd=workspace_root, capture_output=True, text=True)
        configured = bool(email.stdout.strip()) or bool(os.environ.get("GIT_COMMITTER_EMAIL"))
        return cls(workspace_root, lock_dir / "git.lock", configured)

    def commit(self, paths: Sequence[str], message: str, *, author: str, email: str,
               new: Sequence[str] = ()) -> str | None:
        """Commit ``paths`` (``new`` ones are added first); the new commit's sha, or ``None`` if nothing changed."""
        if not paths:
            return None
        env = {**os.environ, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email}
        if not self.identity_configured:
            env.update({"GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email})
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(self.lock_path):
            if new:
                self._git(["add", "--", *new], env)
            result = self._git(["commit", "-m", message, "--", *paths], env, check=False)
            if result.returncode != 0 and "did not match any file" in result.stderr:
                # a path git does not know yet (an untracked file the agent changed): add, then commit
                self._git(["add", "-A", "--", *paths], env)
                result = self._git(["commit", "-m", message, "--", *paths], env, check=False)
            if result.returncode != 0:
                text = (result.stdout + result.stderr).strip()
                if any(marker in text for marker in _NOTHING):
                    return None
                raise CommitFailed(" / ".join(text.splitlines()[:3]) or f"git commit exited {result.returncode}")
            made = _MADE.search(result.stdout)
            return made.group(1) if made else self._git(["rev-parse", "HEAD"], env).stdout.strip()

    def _git(self, args: list[str], env: dict[str, str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        for attempt in range(_LOCK_RETRIES):
            result = subprocess.run(["git", *args], cwd=self.root, env=env, capture_output=True, text=True,
                                    timeout=300)
            if result.returncode != 0 and "index.lock" in result.stderr and attempt < _LOCK_RETRIES - 1:
                time.sleep(min(1.0, 0.05 * (attempt + 1)))  # someone else's git holds the index
                continue
            if check and result.returncode != 0:
                raise CommitFailed(f"git {args[0]} failed: " + " / ".join(result.stderr.strip().splitlines()[:3]))
            return result
        raise AssertionError("unreachable")
