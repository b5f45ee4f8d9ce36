"""Which files a map measures: git's view in a work tree, else a walk with sensible excludes."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from shadeos_core.fsio import is_atomic_temp

from .config import MapConfig

__all__ = ["list_files", "git_files", "walk_files", "EXCLUDED_DIRS", "PathFilter"]

#: Directories a walk never enters (virtual environments are also recognised by their ``pyvenv.cfg``).
EXCLUDED_DIRS = frozenset({".git", ".kin", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox",
                           ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache"})


def git_files(root: Path) -> list[str] | None:
    """Tracked plus untracked-but-not-ignored files under ``root``; ``None`` outside a git work tree."""
    try:
        proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                              capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names = os.fsdecode(proc.stdout).split("\0")
    # --cached lists a file once per merge stage during a conflict.
    return sorted({n for n in names if n})


def walk_files(root: Path) -> list[str]:
    """Every regular file under ``root`` outside :data:`EXCLUDED_DIRS` and virtual environments."""
    found: list[str] = []
    stack = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        if prefix and any(e.name == "pyvenv.cfg" for e in entries):
            continue
        for entry in entries:
            rel = f"{prefix}{entry.name}"
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in EXCLUDED_DIRS:
                        stack.append((Path(entry.path), rel + "/"))
                elif entry.is_file():
                    found.append(rel)
            except OSError:
                continue
    found.sort()
    return found


class PathFilter:
    """Whether a listed path belongs in the map: not ``.kin/``, not a luciorbe, not the temporary file of an
    atomic write (a luciorbe's or an agent's edit on its way: listed by chance, gone a moment later), not the
    map itself, inside ``[map] include`` (when set) and outside ``[map] exclude``."""

    def __init__(self, root: Path, config: MapConfig) -> None:
        self.include, self.exclude = config.include_globs, config.exclude_globs
        try:
            self.output_rel: str | None = config.output_path(root).relative_to(root).as_posix()
        except ValueError:
            self.output_rel = None

    def __call__(self, rel: str) -> bool:
        parts = rel.split("/")
        if parts[0] == ".kin" or parts[-1].startswith(".luciorbe") or is_atomic_temp(parts[-1]) \
                or rel == self.output_rel:
            return False
        if self.include and not self.include.match(rel):
            return False
        return not (self.exclude and self.exclude.match(rel))


def list_files(root: Path, config: MapConfig) -> list[str]:
    """Workspace-relative POSIX paths to measure, sorted; the map's own output file is left out."""
    listed = git_files(root)
    if listed is None:
        listed = walk_files(root)
    keep = PathFilter(root, config)
    return [rel for rel in listed if keep(rel)]
