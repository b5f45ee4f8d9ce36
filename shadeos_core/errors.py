"""The one error type users see: what went wrong, where, and how to fix it."""
from __future__ import annotations

__all__ = ["KinError", "ConfigError", "UsageError"]


class KinError(Exception):
    """An error meant for a person: printed as one line, no traceback.

    ``where`` names the file (and line) or object at fault, ``hint`` says how
    to fix it. ``exit_code`` is what the CLI exits with (2 = usage or
    configuration, 1 = the operation failed).
    """

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class ConfigError(KinError):
    """A team file, ``kin.toml`` or another configuration input is wrong."""

    exit_code = 2


class UsageError(KinError):
    """A command was called with arguments that cannot work."""

    exit_code = 2
