"""Registers a daemon type that sampledaemons already has, and one of its own."""
from shadeos_core import Daemon, hookimpl


class Other(Daemon):
    def cycle(self, injections):
        return None


@hookimpl
def register_daemons(register):
    register("solo", Other)
    register("recorder", Other)
