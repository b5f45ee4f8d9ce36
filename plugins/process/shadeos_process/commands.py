"""``kin exec``, ``kin ps``, ``kin kill`` and ``kin logs``: a thin shell over the Python API."""
from __future__ import annotations

import contextlib
import signal
import sys
from typing import Any, NoReturn

import rich_click as click

from shadeos_core.cli.app import App
from shadeos_core.cli.output import err, print_json, print_table
from shadeos_core.errors import KinError, UsageError

__all__ = ["exec_command", "ps_command", "kill_command", "logs_command", "EXIT_TIMEOUT"]

#: ``kin exec`` exits with this when ``--timeout`` expired (as coreutils ``timeout`` does).
EXIT_TIMEOUT = 124
#: The modes of this plugin; ``kin exec --mode`` also takes any mode another plugin registered.
LOCAL_MODES = ("blocking", "background", "monitored", "interactive")


@click.command("exec", context_settings={"ignore_unknown_options": True})
@click.option("--mode", default="blocking", show_default=True, metavar="MODE",
              help="blocking: output to this terminal; background: output to .kin/logs/<name>.out|.err; "
                   "monitored: lines relayed as they arrive; interactive: monitored, and what you type (or pipe "
                   "in) goes to its input, line by line, until end of input (Ctrl+D); any other installed mode "
                   "(ray: on the cluster of kin.toml's [ray] address), output to this terminal.")
@click.option("--timeout", type=float, default=None, metavar="S",
              help="Stop the whole process tree after S seconds (exit 124).")
@click.option("--name", default=None, help="Name of the process record and of its log files.")
@click.option("--owner", default=None, help="Daemon id the process belongs to (shown by kin ps).")
@click.option("--resource", "resources", multiple=True, metavar="NAME=N",
              help="What the command asks of where it runs, for a mode that places it (ray): num_cpus=2, "
                   "num_gpus=1, memory=2G, or a custom resource of the cluster's nodes. Repeatable.")
@click.argument("cmd", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_obj
def exec_command(app: App, mode: str, timeout: float | None, name: str | None, owner: str | None,
                 resources: tuple[str, ...], cmd: tuple[str, ...]) -> None:
    """Run CMD as a managed process and exit with its exit code: kin exec [--mode M] -- CMD ARGS…

    The process runs in its own session, is recorded under .kin/run/processes
    while it runs (kin ps, kin kill see it) and dies if kin dies. A missing
    executable exits 127. In background mode kin prints the pid and the log
    paths, then stays attached until the process ends (Ctrl+C stops its tree).
    """
    from .api import execute_command

    workspace = app.kernel.workspace
    asked = _resources(resources)
    if mode not in LOCAL_MODES:
        _exec_elsewhere(app, mode, timeout, name, owner, asked, cmd)
    if asked:
        raise UsageError(f"--resource is for a mode that places commands (ray), not {mode!r}")
    callbacks: dict[str, Any] = {}
    if mode in ("monitored", "interactive"):
        callbacks = {"on_output": lambda line: print(line, flush=True),
                     "on_error": lambda line: print(line, file=sys.stderr, flush=True)}
    result = execute_command(list(cmd), mode, timeout=timeout, capture=mode != "blocking", name=name, owner=owner,
                             workspace=workspace, **callbacks)
    if mode == "interactive":
        _relay_input(result.pid)
    if mode != "blocking":
        if mode == "background":
            err(f"kin: started pid {result.pid} ({result.extra.get('name')}); logs: "
                f"{workspace.relative(result.extra['stdout_log'])} {workspace.relative(result.extra['stderr_log'])}")
        result = _wait_interruptible(result.pid, grace=5, what=f"process tree of {result.pid}")
    _exit_with(result, cmd, timeout)


def _exit_with(result: Any, cmd: tuple[str, ...], timeout: float | None) -> NoReturn:
    if result.timed_out:
        err(f"kin: {' '.join(cmd)} timed out after {timeout}s; its process tree was stopped")
        sys.exit(EXIT_TIMEOUT)
    code = result.returncode if result.returncode is not None else 1
    sys.exit(code if code >= 0 else 128 - code)


def _resources(items: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--resource {item!r} is not NAME=N", hint="e.g. --resource num_gpus=1")
        try:
            out[key.strip()] = float(value) if "." in value else int(value)
        except ValueError:
            out[key.strip()] = value.strip()  # a size such as memory=2G: the mode checks it
    return out


def _exec_elsewhere(app: App, mode: str, timeout: float | None, name: str | None, owner: str | None,
                    resources: dict[str, Any], cmd: tuple[str, ...]) -> NoReturn:
    """Run CMD through a mode another plugin registered: its output to this terminal, Ctrl+C stops it."""
    from shadeos_core.execution import CommandSpec, mode_not_installed

    from .spawn import build_argv

    kernel = app.kernel
    if mode not in kernel.execution_modes:
        raise mode_not_installed(mode, kernel.execution_modes)
    runner = kernel.execution_modes[mode](kernel.workspace)
    spec = CommandSpec(build_argv(list(cmd)), timeout=timeout, capture=False, name=name, owner=owner,
                       resources=resources or None)
    result = runner.run(spec)
    if result.returncode is None:
        result = _wait_interruptible(result.pid, grace=30, what=f"{mode} run {result.pid}")
    _exit_with(result, cmd, timeout)


def _wait_interruptible(pid: int, *, grace: float, what: str) -> Any:
    """Wait for ``pid``; Ctrl+C or SIGTERM stops its tree (SIGKILL after ``grace``) and exits 130."""
    from .api import wait_for_process
    from .termination import kill_process_tree

    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return wait_for_process(pid)
    except KeyboardInterrupt:
        kill_process_tree(pid, timeout=grace)
        err(f"kin: interrupted; {what} stopped")
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _relay_input(pid: int) -> None:
    """Feed this terminal's input to an interactive process, line by line; its input closes at our end of input."""
    import threading

    from . import managed

    entry = managed.require(pid)

    def relay() -> None:
        try:
            for line in sys.stdin.buffer:
                entry.write(line)
        except (KinError, OSError, ValueError):
            return  # it stopped reading: its end is reported by the wait
        with contextlib.suppress(OSError, ValueError):
            if entry.popen.stdin is not None:
                entry.popen.stdin.close()

    threading.Thread(target=relay, daemon=True, name=f"kin-input-{pid}").start()


@click.command("ps")
@click.option("--json", "as_json", is_flag=True, help="Print an array of objects: pid, name, owner, command, "
              "mode, state, cpu_s, rss_mb, age_s, starter_pid, place (where a remote mode runs it, or null).")
@click.option("--all", "show_all", is_flag=True, help="Include records of processes that have ended.")
@click.pass_obj
def ps_command(app: App, as_json: bool, show_all: bool) -> None:
    """List managed processes of this workspace (from .kin/run/processes), whoever started them."""
    from shadeos_core.durations import format_duration

    from .listing import list_processes

    rows = [r for r in list_processes(app.kernel.workspace) if show_all or r["state"] != "gone"]
    if as_json:
        print_json(rows)
        return
    if not rows:
        err("kin: no managed processes (start one with kin exec, or run a team)")
        return
    remote = any(r["place"] for r in rows)
    print_table(["PID", "NAME", "OWNER", "STATE", "CPU", "MEM", "AGE", *(["WHERE"] if remote else []), "COMMAND"],
                [[r["pid"], r["name"], r["owner"] or "-", r["state"], f"{r['cpu_s']:.1f}s",
                  f"{r['rss_mb']:.1f}M", format_duration(r["age_s"]),
                  *([r["place"]["where"] if r["place"] else "local"] if remote else []),
                  " ".join(r["command"])[:60]] for r in rows])


@click.command("kill")
@click.argument("target")
@click.option("--tree", is_flag=True, help="Stop the process and all its descendants (setsid ones included).")
@click.option("--force", is_flag=True, help="SIGKILL at once instead of SIGTERM then SIGKILL.")
@click.option("--timeout", type=float, default=10.0, show_default=True, metavar="S",
              help="Seconds between SIGTERM and SIGKILL.")
@click.option("--json", "as_json", is_flag=True, help="Print an array of {pid, returncode, killed, survivors}.")
@click.pass_obj
def kill_command(app: App, target: str, tree: bool, force: bool, timeout: float, as_json: bool) -> None:
    """Stop TARGET: a pid, a managed process name (kin ps), or an exact program name of your own processes."""
    from .listing import resolve_target
    from .termination import kill_process, kill_process_tree, kill_processes_by_name

    grace = 0.0 if force else timeout
    pids = resolve_target(app.kernel.workspace, target)
    out: list[dict[str, Any]] = []
    if pids is None:
        killed = kill_processes_by_name(target, force=force, timeout=grace)
        if not killed:
            raise KinError(f"no process named {target!r} (pid, kin ps name, or exact program name)",
                           hint="see kin ps")
        out = [{"pid": pid, "returncode": None, "killed": [pid], "survivors": []} for pid in killed]
    for pid in pids or []:
        if tree:
            report = kill_process_tree(pid, timeout=grace)
            out.append({"pid": pid, "returncode": report.returncode, "killed": report.terminated + report.killed,
                        "survivors": report.survivors})
        else:
            code = kill_process(pid, force=force, timeout=grace)
            out.append({"pid": pid, "returncode": code, "killed": [pid], "survivors": []})
    if as_json:
        print_json(out)
    else:
        for item in out:
            extra = f" (+{len(item['killed']) - 1} descendants)" if len(item["killed"]) > 1 else ""
            err(f"kin: stopped {item['pid']}{extra}")
    if any(item["survivors"] for item in out):
        raise KinError("some processes survived SIGKILL: " + ", ".join(str(p) for i in out for p in i["survivors"]))


@click.command("logs")
@click.argument("name")
@click.option("-f", "--follow", "follow_", is_flag=True, help="Keep printing new lines until Ctrl+C.")
@click.option("-n", "--lines", default=50, show_default=True, help="Lines to show from the end of each log.")
@click.pass_obj
def logs_command(app: App, name: str, follow_: bool, lines: int) -> None:
    """Show the logs of NAME: a managed process name (kin ps), a daemon id (team.daemon) or a daemon name.

    For a process: its .out (stdout) and .err (stderr); for a daemon: its
    runner log .kin/logs/<team.daemon>.log, plus .out/.err when it has them.
    """
    from .logfiles import find_logs, follow, last_lines

    if lines < 0:
        raise UsageError("--lines cannot be negative")
    paths = find_logs(app.kernel.workspace, name)
    several = len(paths) > 1
    for path, line in last_lines(paths, lines):
        sys.stdout.write(f"{path.name}: {line}\n" if several else f"{line}\n")
    sys.stdout.flush()
    if follow_:
        try:
            follow(paths, prefix=several)
        except KeyboardInterrupt:
            return


COMMANDS = (exec_command, ps_command, kill_command, logs_command)
