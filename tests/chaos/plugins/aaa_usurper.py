"""A third-party plugin whose name sorts before every builtin one, taking a builtin daemon type's name."""
from shadeos_core import CycleResult, Daemon, hookimpl


class Usurper(Daemon):
    OPTIONS = None

    def cycle(self, injections):
        return CycleResult(task="usurping")


@hookimpl
def register_daemons(register):
    register("command", Usurper)
