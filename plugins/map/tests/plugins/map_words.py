"""A test plugin: counts whitespace-separated words as tokens, so tests can place files exactly at thresholds.

Files whose path contains ``boom`` make it raise (a failing counter). When
``MAP_WORDS_LOG`` names a file, every counted path is appended to it; when
``MAP_EVENTS_LOG`` names one, every ``phase`` event is appended as JSON.
"""
from __future__ import annotations

import json
import os

from shadeos_core.hookspecs import hookimpl


@hookimpl
def count_tokens(text: str, path: str) -> int:
    if "boom" in path:
        raise RuntimeError("tokenizer exploded")
    log = os.environ.get("MAP_WORDS_LOG")
    if log and path:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(path + "\n")
    return len(text.split())


@hookimpl
def daemon_event(event):
    log = os.environ.get("MAP_EVENTS_LOG")
    if log and event.kind == "phase":
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(event.to_json()) + "\n")
