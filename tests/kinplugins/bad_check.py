"""A check that always finds an error in files named *.bad, and one that raises."""
from shadeos_core import Finding, hookimpl


def bad_files(ctx):
    files = ctx.files or list(ctx.workspace.root.rglob("*.bad"))
    for path in files:
        if path.suffix == ".bad":
            yield Finding("error", "bad file", path=ctx.workspace.relative(path))


def explodes(ctx):
    raise ValueError("boom")


@hookimpl
def register_checks(register):
    register("bad-files", bad_files)
    register("explodes", explodes)
