"""``kin hooks install``: put kin's pre-commit hook into a git repository.

The hook script ships with this package (the same file as ``hooks/pre-commit``
in kin's repository). Its location comes from ``git rev-parse --git-path
hooks/pre-commit``, which honours ``core.hooksPath`` and linked worktrees.
A hook an earlier kin installed is updated in place; any other hook is kept.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from shadeos_core.errors import UsageError
from shadeos_core.fsio import atomic_write_bytes

__all__ = ["hook_script", "hook_path", "install_hook", "Installed"]

# SHA-256 of the scripts earlier versions of kin installed, byte for byte (one that was edited is not ours).
_EARLIER_SCRIPTS = frozenset({
    "bbfa044de115ed32df7ccb953cbd644a1f16212007059f1eae7f8e5d79014a86",  # ran `kin check` over the whole project
})


def hook_script() -> bytes:
    """The pre-commit script kin installs."""
    return resources.files("shadeos_luciorbe").joinpath("data", "pre-commit").read_bytes()


def hook_path(directory: str | os.PathLike[str]) -> Path:
    """Where git looks for the pre-commit hook of the repository holding ``directory``."""
    try:
        proc = subprocess.run(["git", "rev-parse", "--git-path", "hooks/pre-commit"], cwd=directory,
                              capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise UsageError("git is not installed", hint="install git, then run kin hooks install again") from None
    if proc.returncode != 0:
        raise UsageError(f"{directory} is not inside a git repository", hint="run git init first")
    path = Path(proc.stdout.strip())
    return path if path.is_absolute() else (Path(directory) / path).resolve()


@dataclass
class Installed:
    """What :func:`install_hook` did: ``created``, ``unchanged``, ``updated`` (an earlier kin hook) or
    ``replaced`` (another hook, kept in ``backup``)."""

    path: Path
    outcome: str
    backup: Path | None = None


def install_hook(directory: str | os.PathLike[str], *, force: bool = False) -> Installed:
    """Install the pre-commit hook; a different existing hook is replaced only with ``force`` (and backed up).

    A hook installed by an earlier version of kin, unedited, is updated without ``force`` or backup.
    """
    target = hook_path(directory)
    script = hook_script()
    backup: Path | None = None
    if target.exists() or target.is_symlink():
        try:
            current = target.read_bytes()
        except OSError:
            current = None
        if current == script:
            return Installed(target, "unchanged")
        if current is not None and hashlib.sha256(current).hexdigest() in _EARLIER_SCRIPTS:
            atomic_write_bytes(target, script, mode=0o755)
            return Installed(target, "updated")
        if not force:
            raise UsageError(f"a different pre-commit hook already exists at {target}; it was left untouched",
                             hint="add `kin check --staged` to it yourself, or rerun with --force to replace it "
                                  "(the old hook is kept as pre-commit.kin-backup)")
        backup = target.with_name(target.name + ".kin-backup")
        os.replace(target, backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, script, mode=0o755)
    return Installed(target, "replaced" if backup else "created", backup)
