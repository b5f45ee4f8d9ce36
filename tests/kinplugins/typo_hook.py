from shadeos_core import hookimpl


@hookimpl
def regsiter_daemons(register):
    register("typo", object)
