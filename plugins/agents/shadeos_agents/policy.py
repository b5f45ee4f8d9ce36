"""Which paths an agent may read and write: the rules of the write gate, with no I/O beyond ``stat``.

Always refused, for reading and writing: a path that is empty, absolute,
holds ``..`` or a NUL, or resolves outside the workspace (a symlink that
leads out); anything under ``.git/`` or ``.kin/``; luciorbe files; secrets
(``.env*``, private keys and key stores, ``[agents] secrets``, and ``llm``'s
own configuration directory when it lies inside the workspace). Writing also
needs the path to match the agent's ``files`` globs (when it has any) and
refuses to write through a symlink.
"""
from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from shadeos_core.globs import GlobSet
from shadeos_core.luciorbe import is_luciorbe_name
from shadeos_core.workspace import Workspace

__all__ = ["Refused", "PathPolicy", "DEFAULT_SECRETS"]

#: Files that hold secrets: never read into a prompt, never written by an agent.
DEFAULT_SECRETS = (
    ".env", ".env.*", "*.env", ".envrc", "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore",
    "id_rsa", "id_rsa.*", "id_dsa", "id_dsa.*", "id_ecdsa", "id_ecdsa.*", "id_ed25519", "id_ed25519.*",
    ".netrc", ".pgpass", ".pypirc", ".npmrc", ".git-credentials", "credentials.json", "keys.json",
)
_PRIVATE_DIRS = (".git", ".kin")


class Refused(Exception):
    """A path the gate refuses; ``reason`` says why in words a model (and a person) can act on."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class PathPolicy:
    """The read and write rules of one agent."""

    def __init__(self, workspace: Workspace, *, files: list[str] | None = None, secrets: list[str] | None = None,
                 private_dirs: list[Path] | None = None) -> None:
        self.workspace = workspace
        self.root = workspace.root
        self.files = GlobSet(files or [])
        self.secrets = GlobSet([*DEFAULT_SECRETS, *(secrets or [])])
        # Directories inside the workspace that are someone else's private state (llm's keys, say).
        self.private = [p.resolve() for p in (private_dirs or [])]

    # -- the rules ---------------------------------------------------------------------------
    def relative(self, raw: object) -> str:
        """``raw`` as a clean workspace-relative POSIX path, or :class:`Refused`."""
        if not isinstance(raw, str) or not raw.strip():
            raise Refused(str(raw), "a path is needed (relative to the project root)")
        text = raw.strip()
        if "\x00" in text:
            raise Refused(text, "a path cannot hold a NUL byte")
        if text.startswith(("/", "~")) or os.path.isabs(text):
            raise Refused(text, "absolute paths are refused: give the path relative to the project root")
        parts = PurePosixPath(text.replace("\\", "/")).parts
        if ".." in parts:
            raise Refused(text, "'..' is refused: paths must stay inside the project")
        clean = "/".join(p for p in parts if p not in ("", "."))
        if not clean:
            raise Refused(text, "that is the project root, not a file")
        return clean

    def check_read(self, raw: object) -> str:
        """The relative path if an agent may read it (the target of a symlink is checked too)."""
        rel = self.relative(raw)
        self._forbidden(rel)
        resolved = self._resolved(rel)
        if resolved != rel:
            self._forbidden(resolved)
        return rel

    def check_write(self, raw: object) -> str:
        """The relative path if an agent may create or change it."""
        rel = self.relative(raw)
        self._forbidden(rel)
        resolved = self._resolved(rel)
        if resolved != rel:
            raise Refused(rel, f"writing through a symlink is refused (it leads to {resolved})")
        if self.files and not self.files.match(rel):
            raise Refused(rel, "outside what this agent may change (its files = "
                          + ", ".join(self.files.patterns) + ")")
        return rel

    def readable(self, rel: str) -> bool:
        """Whether a listed file may be shown to an agent (no exception, for listings)."""
        try:
            self._forbidden(rel)
        except Refused:
            return False
        return True

    def writable(self, rel: str) -> bool:
        try:
            self.check_write(rel)
        except Refused:
            return False
        return True

    # -- internals ---------------------------------------------------------------------------
    def _forbidden(self, rel: str) -> None:
        parts = rel.split("/")
        for private in _PRIVATE_DIRS:
            if private in parts:
                raise Refused(rel, f"{private}/ is off limits to agents")
        if is_luciorbe_name(parts[-1]):
            raise Refused(rel, "luciorbe files belong to the daemons that keep them")
        if self.secrets.match(rel):
            raise Refused(rel, "this file holds secrets: agents never read or write it")
        if self.private:
            full = (self.root / rel).resolve()
            for directory in self.private:
                if full == directory or directory in full.parents:
                    raise Refused(rel, "this is llm's configuration (it holds keys): off limits to agents")

    def _resolved(self, rel: str) -> str:
        """Where ``rel`` really leads, relative to the root; :class:`Refused` when that is outside."""
        full = self.root / rel
        real = full.resolve()
        if real == full:
            return rel
        try:
            return real.relative_to(self.root).as_posix()
        except ValueError:
            raise Refused(rel, "it leads outside the project (through a symlink)") from None
