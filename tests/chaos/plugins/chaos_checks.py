"""Checks that try to decide kin check's outcome other than by their findings: chosen by KIN_CHAOS_CHECK."""
import os
import sys
import time

from shadeos_core import Finding, hookimpl


def misbehave(ctx):
    how = os.environ.get("KIN_CHAOS_CHECK", "")
    if how == "exit0":
        sys.exit(0)
    if how == "os_exit0":
        os._exit(0)
    if how == "interrupt":
        raise KeyboardInterrupt
    if how == "hang":
        time.sleep(3600)
    if how == "kill":
        os.kill(os.getpid(), 9)
    return [Finding("info", "behaved")]


@hookimpl
def register_checks(register):
    register("chaos", misbehave)
