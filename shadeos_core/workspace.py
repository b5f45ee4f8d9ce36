"""The project directory a team works on, and the ``.kin/`` state beneath it."""
from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import ConfigError, UsageError

__all__ = ["Workspace", "check_name", "check_keys", "MARKERS"]

#: Root markers, highest priority first: the nearest directory holding the
#: highest-priority marker found anywhere up the tree is the root.
MARKERS = ("kin.toml", "teams", ".kin", ".git")

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}")
_STATE_DIRS = ("run", "mail", "logs", "memory", "context", "state", "quarantine", "tasks", "teams")


def check_name(name: str, *, what: str = "name") -> str:
    """Return ``name`` if it is safe as one path component, else raise a clear error.

    Safe: letters, digits, ``_ . + -``, not starting with a dot, no ``..``.
    Used for daemon ids, team names, mailbox targets and the like.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise UsageError(
            f"invalid {what} {name!r}",
            hint="use letters, digits and _ . + - (no '/', no '..', not starting with '.')",
        )
    return name


def check_keys(values: Mapping[str, Any], keys: Iterable[str], *, table: str,
               where: str | Callable[[str], str] = "kin.toml") -> None:
    """Refuse a key of ``kin.toml``'s ``[table]`` that is not one of ``keys``: one line naming the table and
    the key, with the closest known key (or all of them) as the fix. ``where`` is the place to name, or
    a function of the key giving it (its line in ``kin.toml``)."""
    known = list(keys)
    for key in values:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1)
        raise ConfigError(f"[{table}] {key}: unknown key", where=where(key) if callable(where) else where,
                          hint=f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}")


class Workspace:
    """A project root and the paths of its runtime state under ``<root>/.kin/``.

    State directories are created lazily by :meth:`state_dir`.
    """

    def __init__(self, root: str | os.PathLike[str], *, marked: bool = True) -> None:
        self.root = Path(root).resolve()
        #: False when :meth:`find` found no marker: the directory is not a workspace, so no state is kept in it.
        self.marked = marked

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Workspace) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    # -- discovery -------------------------------------------------------
    @classmethod
    def find(cls, start: str | os.PathLike[str] | None = None) -> Workspace:
        """Walk up from ``start`` (default: cwd) to the root marked by :data:`MARKERS`.

        With no marker anywhere up the tree, ``start`` itself is the root, unmarked: it can be read (there is
        nothing in it) but :meth:`state_dir` refuses to create ``.kin/`` there.
        """
        here = Path(start if start is not None else os.getcwd()).resolve()
        if here.is_file():
            here = here.parent
        chain = [here, *here.parents]
        for marker in MARKERS:
            for directory in chain:
                if (directory / marker).exists():
                    return cls(directory)
        return cls(here, marked=False)

    # -- paths -----------------------------------------------------------
    @property
    def kin_dir(self) -> Path:
        return self.root / ".kin"

    def state_dir(self, name: str, *parts: str) -> Path:
        """``.kin/<name>/<parts…>``, created on first use; every part must be a safe name."""
        if name not in _STATE_DIRS:
            raise ValueError(f"unknown state directory {name!r}")
        if not self.marked and not self.kin_dir.is_dir():
            raise UsageError(f"{self.root} is not a kin workspace (no kin.toml, teams/, .kin/ or .git here or in a "
                             "parent directory), so kin keeps no state here",
                             hint="run kin init here to make it one, or cd into your project")
        path = self.kin_dir / name
        for part in parts:
            path = path / check_name(part, what=f"{name} entry")
        path.mkdir(parents=True, exist_ok=True)
        return path

    def inside(self, path: str | os.PathLike[str], *, base: str | os.PathLike[str] | None = None, what: str = "path") -> Path:
        """Resolve ``path`` (relative to ``base`` or the root) and insist it stays in the workspace."""
        anchor = Path(base) if base is not None else self.root
        candidate = Path(path)
        resolved = (candidate if candidate.is_absolute() else anchor / candidate).resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise UsageError(
                f"{what} {str(path)!r} leads outside the workspace {self.root}",
                hint="use a path inside the project directory",
            )
        return resolved

    def relative(self, path: str | os.PathLike[str]) -> str:
        """``path`` relative to the root when inside it, else as given (POSIX separators)."""
        p = Path(path)
        try:
            return p.resolve().relative_to(self.root).as_posix() or "."
        except ValueError:
            return str(p)

    # -- configuration ---------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.root / "kin.toml"

    @cached_property
    def config(self) -> dict[str, Any]:
        """The parsed ``kin.toml`` (empty when absent); a syntax error is a :class:`ConfigError`."""
        path = self.config_path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read: {exc}", where=str(path)) from exc
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"TOML syntax error: {exc}", where=str(path), hint="fix the syntax") from exc

    def section(self, name: str, keys: Iterable[str] | None = None) -> dict[str, Any]:
        """A plugin's ``[name]`` table from ``kin.toml`` (empty when absent); with ``keys``, a key not among them
        is a :class:`ConfigError` (see :func:`check_keys`)."""
        value = self.config.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"[{name}] must be a table", where=str(self.config_path))
        if keys is not None:
            check_keys(value, keys, table=name, where=lambda key: self.config_where(name, key))
        return value

    def config_where(self, *path: str) -> str:
        """``<kin.toml>:<line>`` of a table (and key) of ``kin.toml``, for an error pointing there (the path
        alone when the line is not found)."""
        from .tomlpos import locate

        try:
            line = locate(self.config_path.read_text(encoding="utf-8"), path)
        except (OSError, UnicodeDecodeError):
            line = None
        return f"{self.config_path}:{line}" if line else str(self.config_path)
