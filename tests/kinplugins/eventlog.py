"""Writes every daemon_event to the file named by KIN_TEST_EVENTS (one JSON line each)."""
import json
import os

from shadeos_core import hookimpl


@hookimpl
def daemon_event(event):
    path = os.environ.get("KIN_TEST_EVENTS")
    if path:
        with open(path, "a") as handle:
            handle.write(json.dumps(event.to_json()) + "\n")
