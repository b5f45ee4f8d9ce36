"""Glob patterns over workspace-relative POSIX paths, with ``**`` spanning directories."""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["glob_to_regex", "GlobSet"]


@lru_cache(maxsize=512)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern``: ``*`` within a name, ``**`` across directories, ``?``, ``[abc]``.

    A pattern with no ``/`` matches a name at any depth (``*.md`` matches ``docs/a.md``),
    as in ``.gitignore``.
    """
    pat = pattern.strip()
    if pat.startswith("./"):
        pat = pat[2:]
    anchored = "/" in pat.rstrip("/")
    pat = pat.lstrip("/")
    out: list[str] = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pat.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pat[i + 1:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    body = "".join(out)
    if pat.endswith("/"):
        body += ".*"
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(f"{prefix}{body}(?:/.*)?" if not pat.endswith("/") else f"{prefix}{body}")


class GlobSet:
    """Any-of matcher for a list of globs (see :func:`glob_to_regex`)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = [p for p in patterns if p]
        self._regexes = [glob_to_regex(p) for p in self.patterns]

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def match(self, relpath: str) -> bool:
        return any(rx.fullmatch(relpath) for rx in self._regexes)
