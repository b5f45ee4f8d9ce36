"""The project's files as an agent sees them: listed the way git would, or walked, and matched by globs."""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

from shadeos_core.globs import GlobSet

__all__ = ["project_files", "glob_files", "SKIP_DIRS"]

#: Directories never listed: version control, kin's state, environments and caches.
SKIP_DIRS = frozenset({".git", ".kin", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox", ".mypy_cache",
                       ".pytest_cache", ".ruff_cache", ".hg", ".svn"})
_WILD = re.compile(r"[*?\[]")


def project_files(root: Path, *, git: bool) -> list[str]:
    """Every file of the project, workspace-relative POSIX, sorted: git's view in a work tree, else a walk."""
    if git:
        try:
            out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                 cwd=root, capture_output=True, check=True, timeout=60).stdout
            names = {name for name in out.decode("utf-8", "surrogateescape").split("\0") if name}
            return sorted(name for name in names if (root / name).is_file())
        except (OSError, subprocess.SubprocessError):
            pass
    return sorted(_walk(root, root))


def _walk(root: Path, top: Path) -> Iterator[str]:
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        if directory != root and any(e.name == "pyvenv.cfg" for e in entries):
            continue  # a virtual environment, whatever its name
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS:
                    stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                yield Path(entry.path).relative_to(root).as_posix()


def _static_prefix(pattern: str) -> str:
    """The directory a glob cannot leave (``docs/**/*.md`` -> ``docs``); ``""`` for a pattern matching anywhere."""
    pat = pattern.strip().removeprefix("./").lstrip("/")
    if "/" not in pat.rstrip("/"):
        return ""
    parts = pat.split("/")
    fixed = []
    for part in parts[:-1]:
        if _WILD.search(part):
            break
        fixed.append(part)
    return "/".join(fixed)


def glob_files(root: Path, patterns: Iterable[str]) -> list[str]:
    """Files matching any of ``patterns``, walking only the directories the patterns can reach."""
    globs = GlobSet(patterns)
    if not globs:
        return []
    prefixes = {_static_prefix(p) for p in globs.patterns}
    if "" in prefixes:
        tops = [root]
    else:
        tops = [root / p for p in sorted(prefixes) if not any(p.startswith(q + "/") for q in prefixes if q != p)]
    found: set[str] = set()
    for top in tops:
        if top.is_file():
            rel = top.relative_to(root).as_posix()
            if globs.match(rel):
                found.add(rel)
            continue
        if top.is_dir():
            found.update(rel for rel in _walk(root, top) if globs.match(rel))
    return sorted(found)
