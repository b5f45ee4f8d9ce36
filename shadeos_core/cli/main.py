"""``kin``: the entry point. Loads plugins, builds the command group, turns errors into one line."""
from __future__ import annotations

import difflib
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import rich_click as click
from click.exceptions import Abort, ClickException, Exit

from ..errors import KinError, UsageError
from .app import App
from .output import err

__all__ = ["main", "build_cli", "KinGroup"]

click.rich_click.USE_MARKDOWN = False
click.rich_click.SHOW_ARGUMENTS = True


class KinGroup(click.RichGroup):
    """A group where a name that is not a command is a team: ``kin coding`` is ``kin run coding``."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in self.commands:
            return "run", self.commands["run"], args
        return super().resolve_command(ctx, args)


@click.group(cls=KinGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("-p", "plugin_opts", multiple=True, metavar="no:NAME",
              help="Block a plugin for this run (repeatable); also KIN_DISABLE_PLUGINS=a,b.")
@click.version_option(package_name="shadeos", prog_name="kin")
@click.pass_context
def cli(ctx: click.Context, debug: bool, plugin_opts: tuple[str, ...]) -> None:  # noqa: ARG001
    # --debug and -p are read by _prescan before plugins load; they are declared here for --help and parsing.
    """Run teams of supervised daemons on the current project directory.

    `kin TEAM` starts a team (same as `kin run TEAM`). Teams come from kin.toml,
    teams/*.toml, .kin/teams/*.toml and installed plugins; `kin teams` lists them.
    """


def _prescan(args: Sequence[str]) -> tuple[bool, list[str]]:
    """Read --debug and -p no:NAME before plugins load (they decide what loads)."""
    debug = False
    blocked: list[str] = []
    it = iter(enumerate(args))
    for _, arg in it:
        if arg == "--":
            break
        if arg == "--debug":
            debug = True
        elif arg == "-p" or arg.startswith("-p"):
            value = arg[2:].lstrip("=") if arg != "-p" else next(it, (0, ""))[1]
            if not value.startswith("no:") or len(value) <= 3:
                raise UsageError(f"-p takes no:NAME to block a plugin, got {value!r}", hint="e.g. kin -p no:map check")
            blocked.append(value[3:])
        elif not arg.startswith("-"):
            break  # options after the command name belong to the command
    return debug, blocked


def build_cli(kernel: Any) -> click.Group:
    """The ``kin`` group with the core commands and every plugin's commands."""
    from . import check, init, mail, plugins, run, status, teams

    group = cli
    for module in (run, init, teams, plugins, status, check, mail):
        group.add_command(module.command)
    for problem in kernel.add_commands(group):
        err(f"kin: warning: {problem}")
    return group


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        debug, disabled = _prescan(args)
        app = App(debug=debug, disabled=disabled)
        if debug:
            import logging

            logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
        from ..kernel import Kernel

        app.preloaded = Kernel.load(None, disabled=disabled)
        for failure in app.preloaded.plugins.failures:
            err(f"kin: warning: {failure}")
        for name in app.preloaded.plugins.unknown_blocked:
            names = [*app.preloaded.plugins.records, *(f.name for f in app.preloaded.plugins.failures)]
            close = difflib.get_close_matches(name, names, n=1)
            err(f"kin: warning: no plugin is named {name!r}, so blocking it does nothing "
                f"({f'did you mean {close[0]!r}? ' if close else ''}kin plugins lists them)")
        group = build_cli(app.preloaded)
        try:
            code = group.main(args, prog_name="kin", standalone_mode=False, obj=app)
        finally:
            app.preloaded.flush_events(2.0)  # what the command emitted reaches its listeners before we leave
        sys.exit(code if isinstance(code, int) else 0)
    except Exit as exc:
        sys.exit(exc.exit_code)
    except Abort:
        err("kin: aborted")
        sys.exit(130)
    except ClickException as exc:
        ctx = getattr(exc, "ctx", None)  # a usage error knows its command
        where = f" (see: kin {ctx.command_path.partition(' ')[2]} --help)".replace("kin  ", "kin ") \
            if ctx is not None else ""
        err(f"kin: error: {exc.format_message()}{where}")
        sys.exit(exc.exit_code)
    except KinError as exc:
        if debug:
            traceback.print_exc()
        err(f"kin: error: {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err("kin: interrupted")
        sys.exit(130)
    except OSError as exc:
        if debug:
            traceback.print_exc()
        from ..diskfaults import describe, is_disk_fault

        if is_disk_fault(exc):
            err(f"kin: error: {describe(exc)} (free some space or make it writable, then run it again)")
        else:
            where = f" {exc.filename}" if exc.filename else ""
            err(f"kin: error: cannot use{where}: {exc.strerror or exc} (rerun with --debug for the traceback)")
        sys.exit(1)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        err(f"kin: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)")
        sys.exit(1)
