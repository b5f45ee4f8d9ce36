"""A test plugin: appends every daemon_event to the file named by KIN_TEST_EVENTS (one JSON line each, locked)."""
import json
import os

from shadeos_core import hookimpl
from shadeos_core.fsio import locked_append


@hookimpl
def daemon_event(event):
    path = os.environ.get("KIN_TEST_EVENTS")
    if path:
        locked_append(path, (json.dumps(event.to_json()) + "\n").encode())
