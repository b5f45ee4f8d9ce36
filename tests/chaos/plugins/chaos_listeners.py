"""daemon_event listeners that misbehave, chosen by KIN_CHAOS_LISTENER: exit, interrupt, raise, hang."""
import os
import sys
import time

from shadeos_core import hookimpl


@hookimpl
def daemon_event(event):
    how = os.environ.get("KIN_CHAOS_LISTENER", "")
    if how == "exit":
        sys.exit(0)
    if how == "interrupt":
        raise KeyboardInterrupt
    if how == "raise":
        raise RuntimeError("listener exploded")
    if how == "hang":
        time.sleep(3600)
