"""``kin check``: what a check receives and what it reports."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = ["Finding", "CheckContext", "LEVELS", "staged_files"]

LEVELS = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One result of a check. ``level`` is ``error`` (fails ``kin check``), ``warning`` or ``info``."""

    level: str
    message: str
    path: str = ""
    line: int | None = None
    check: str = ""
    hint: str = ""

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"finding level must be one of {', '.join(LEVELS)}, not {self.level!r}")

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "check": self.check, "path": self.path, "line": self.line,
                "message": self.message, "hint": self.hint}

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path and self.line else self.path
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text


@dataclass
class CheckContext:
    """What a check gets: the kernel, the files to check (empty = the whole workspace) and ``strict``."""

    kernel: Kernel
    files: list[Path] = field(default_factory=list)
    strict: bool = False

    @property
    def workspace(self) -> Any:
        return self.kernel.workspace


def staged_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The files staged for commit in the git repository holding ``directory``, as absolute paths.

    The same list pre-commit hands its hooks: added, copied, modified, renamed or
    retyped files, never a deletion (git's ``GIT_INDEX_FILE`` is honoured, so a
    hook of ``git commit -a`` or ``git commit PATH`` sees that commit's index).
    Only files present in the work tree are returned (a submodule is not a file).
    """
    def git(*args: str) -> bytes:
        try:
            proc = subprocess.run(["git", *args], cwd=directory, capture_output=True, timeout=60)
        except FileNotFoundError:
            raise UsageError("--staged asks git for the staged files, and git is not installed",
                             hint="install git, or name the files: kin check FILES") from None
        except subprocess.TimeoutExpired:
            raise UsageError("git took over 60s to list the staged files",
                             hint="try again, or name the files: kin check FILES") from None
        if proc.returncode != 0:
            raise UsageError(f"--staged needs a git repository, and {directory} is not inside one",
                             hint="run it in a git work tree, or check files by name: kin check FILES")
        return proc.stdout

    top = Path(os.fsdecode(git("rev-parse", "--show-toplevel").strip()))
    names = git("diff", "--cached", "--name-only", "--no-ext-diff", "-z", "--diff-filter=ACMRTUXB")
    paths = (top / os.fsdecode(name) for name in names.split(b"\0") if name)
    return [path for path in paths if os.path.lexists(path) and not os.path.isdir(path)]
