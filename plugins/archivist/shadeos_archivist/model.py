"""What a memory and a link are: their fields, their validation, their ids, and the words search sees."""
from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from shadeos_core.errors import UsageError

__all__ = ["DEFAULT_STRATA", "LINK_TYPES", "new_id", "now_iso", "check_stratum", "check_namespace", "check_content",
           "check_link_type", "check_keywords", "check_metadata", "words", "is_cross_fractal", "make_memory"]

#: Raw facts, analyses and plans, principles and long-term strategy.
DEFAULT_STRATA = ("somatic", "cognitive", "metaphysical")
#: Link types with a meaning of their own; any other safe name is a custom type.
LINK_TYPES = ("associative", "transcendence", "immanence")

_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+@-]{0,127}")
_LINK_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_WORD = re.compile(r"\w+", re.UNICODE)
_counter = 0


def new_id() -> str:
    """A unique id that sorts by creation time: ``m`` + 13 hex digits of µs + 4 of pid + 4 of a counter."""
    global _counter
    _counter = (_counter + 1) & 0xFFFF
    return f"m{time.time_ns() // 1000:013x}{os.getpid() & 0xFFFF:04x}{_counter:04x}"


def now_iso() -> str:
    """The current UTC time as ``2026-11-20T14:30:00.123456Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_stratum(stratum: Any, strata: Sequence[str]) -> str:
    """``stratum`` if it is one of ``strata``; anything else is an error, never silently changed."""
    if not isinstance(stratum, str) or stratum not in strata:
        raise UsageError(f"unknown stratum {stratum!r}",
                         hint=f"use one of {', '.join(strata)} (the vocabulary is [archivist] strata in kin.toml)")
    return stratum


def check_namespace(namespace: Any) -> str:
    """``namespace`` if it is a safe path-like name (``global``, ``daemons/<id>``, ``collaborations/a+b``)."""
    if not isinstance(namespace, str) or not namespace:
        raise UsageError(f"invalid namespace {namespace!r}", hint="use e.g. global or daemons/<id>")
    parts = namespace.split("/")
    if ".." in namespace or not all(_SEGMENT.fullmatch(part) for part in parts):
        raise UsageError(f"invalid namespace {namespace!r}",
                         hint="use /-separated names of letters, digits and _ . + @ - (no '..', no empty part, "
                              "not starting with '/' or '.')")
    return namespace


def check_content(content: Any) -> str:
    if not isinstance(content, str):
        raise UsageError(f"memory content must be text, got {type(content).__name__}")
    if not content.strip():
        raise UsageError("memory content is empty", hint="give the text to remember")
    return content


def check_link_type(link_type: Any) -> str:
    if not isinstance(link_type, str) or not _LINK_TYPE.fullmatch(link_type):
        raise UsageError(f"invalid link type {link_type!r}",
                         hint=f"use {', '.join(LINK_TYPES)} or a custom name of letters, digits, _ and -")
    return link_type


def check_keywords(keywords: Any) -> list[str]:
    if keywords is None:
        return []
    if isinstance(keywords, str):
        keywords = [k for k in re.split(r"[,\s]+", keywords) if k]
    if not isinstance(keywords, Iterable) or not all(isinstance(k, str) for k in keywords):
        raise UsageError(f"keywords must be a list of strings, got {keywords!r}")
    return [k.strip() for k in keywords if k.strip()]


def check_metadata(metadata: Any) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise UsageError(f"metadata must be a mapping, got {type(metadata).__name__}")
    return dict(metadata)


def words(text: str) -> list[str]:
    """The lower-case words of ``text``, as every backend and the unindexed-tail scan see them."""
    return [w.lower() for w in _WORD.findall(text)]


def is_cross_fractal(source: Mapping[str, Any], target: Mapping[str, Any]) -> bool:
    """An edge between memories of different namespaces crosses fractals."""
    return bool(source["namespace"] != target["namespace"])


def make_memory(*, stratum: str, content: Any, namespace: str, summary: str | None, keywords: Any,
                metadata: Any, author: str | None, strata: Sequence[str]) -> dict[str, Any]:
    """A validated ``store`` journal record with a fresh id and creation time."""
    if summary is not None and not isinstance(summary, str):
        raise UsageError(f"summary must be text, got {type(summary).__name__}")
    if author is not None and not isinstance(author, str):
        raise UsageError(f"author must be text, got {type(author).__name__}")
    return {
        "op": "store",
        "id": new_id(),
        "namespace": check_namespace(namespace),
        "stratum": check_stratum(stratum, strata),
        "content": check_content(content),
        "summary": summary or "",
        "keywords": check_keywords(keywords),
        "metadata": check_metadata(metadata),
        "author": author or "",
        "created": now_iso(),
    }
