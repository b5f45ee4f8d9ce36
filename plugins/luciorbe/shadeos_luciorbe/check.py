"""The ``luciorbes`` check of ``kin check``: luciorbes must never be committed.

- error: a luciorbe tracked by git or staged for commit (skipped outside a git work tree);
- warning (error with ``--strict``): a ``stale`` or ``dead`` luciorbe in the work tree.

With FILES (as pre-commit passes them) the work-tree part looks only at those
files and the directories holding them; without, it checks every luciorbe the
janitor would find.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from shadeos_core.checks import CheckContext, Finding
from shadeos_core.luciorbe import is_luciorbe_name

from .janitor import LuciorbeJanitor
from .sighting import Classifier, Sighting, relative_path

__all__ = ["check_luciorbes", "git_luciorbes"]

_UNTRACK_HINT = "untrack it with `git rm --cached {path}` and keep `.luciorbe*` in .gitignore (kin init adds it)"


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None


def git_luciorbes(root: Path) -> dict[str, str] | None:
    """Luciorbes in git's index under ``root``: ``{path relative to root: "staged" | "tracked"}``.

    ``None`` when ``root`` is not in a git work tree (or git is not installed).
    """
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.returncode != 0 or inside.stdout.strip() != b"true":
        return None
    # The index holds both what is committed and what is staged; a staged deletion is not there, as it should.
    listed = _git(root, "ls-files", "-z", "--", ":(glob)**/.luciorbe", ":(glob)**/.luciorbe.*")
    staged = _git(root, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMRT", "--relative", "--",
                  ":(glob)**/.luciorbe", ":(glob)**/.luciorbe.*")
    if listed is None or listed.returncode != 0:
        return None
    names = [n.decode("utf-8", "surrogateescape") for n in listed.stdout.split(b"\0") if n]
    fresh = {n.decode("utf-8", "surrogateescape") for n in (staged.stdout if staged else b"").split(b"\0") if n}
    return {name: "staged" if name in fresh else "tracked"
            for name in names if is_luciorbe_name(os.path.basename(name))}


def check_luciorbes(ctx: CheckContext) -> Iterator[Finding]:
    """Errors for luciorbes in git; warnings (errors when strict) for stale or dead ones in the work tree."""
    workspace = ctx.workspace
    in_git = git_luciorbes(workspace.root) or {}
    for path, how in sorted(in_git.items()):
        what = "staged for commit" if how == "staged" else "tracked by git"
        yield Finding("error", f"luciorbe {what}: luciorbes are runtime heartbeats and must never be committed",
                      path=path, hint=_UNTRACK_HINT.format(path=path))
    level = "error" if ctx.strict else "warning"
    for sighting in _work_tree(ctx):
        if sighting.state in ("stale", "dead"):
            yield Finding(level, f"{sighting.state} luciorbe of {sighting.daemon_id or 'an unknown daemon'}: "
                                 f"{sighting.detail}", path=relative_path(workspace.root, sighting.path),
                          hint="remove it with `kin luciorbe clean`")


def _work_tree(ctx: CheckContext) -> Iterator[Sighting]:
    janitor = LuciorbeJanitor(ctx.workspace)
    if not ctx.files:
        yield from janitor.sightings()
        return
    classifier = Classifier(janitor.settings)
    seen: set[str] = set()
    directories = {f.parent if not f.is_dir() else f for f in ctx.files}
    for directory in sorted(directories):
        try:
            st = os.stat(directory)
            names = [e.name for e in os.scandir(directory) if is_luciorbe_name(e.name)]
        except OSError:
            continue
        for name in names:
            path = f"{directory}/{name}"
            if path not in seen:
                seen.add(path)
                sighting = classifier.classify(path, (st.st_dev, st.st_ino))
                if sighting is not None:
                    yield sighting
