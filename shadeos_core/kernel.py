"""The kernel: a workspace, its loaded plugins and what they registered."""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import KinError
from .hooks import Hooks
from .plugins import PluginSet, load_plugins
from .registry import Registry
from .workspace import Workspace

if TYPE_CHECKING:
    import click
    import pluggy

    from .containment import EventDispatcher
    from .events import DaemonEvent
    from .team import Team, TeamSet

__all__ = ["Kernel"]

log = logging.getLogger(__name__)

# registering hook -> (registry attribute, what it holds)
_REGISTRIES: dict[Callable[..., None], tuple[str, str]] = {
    Hooks.register_daemons: ("daemon_types", "daemon type"),
    Hooks.register_meta_daemons: ("meta_daemon_types", "meta-daemon type"),
    Hooks.register_memory_backends: ("memory_backends", "memory backend"),
    Hooks.register_janitors: ("janitors", "janitor"),
    Hooks.register_execution_modes: ("execution_modes", "execution mode"),
    Hooks.register_checks: ("checks", "check"),
}


def _validator(attr: str) -> Callable[[str, Any], str | None]:
    """What a registered value must be, per registry; returns a reason when it is not."""

    def check(name: str, value: Any) -> str | None:
        from .daemon import Daemon, MetaDaemon
        from .execution import ExecutionMode
        from .janitor import Janitor

        expected = {"daemon_types": Daemon, "meta_daemon_types": MetaDaemon, "janitors": Janitor,
                    "execution_modes": ExecutionMode}.get(attr)
        if expected is not None:
            if not (isinstance(value, type) and issubclass(value, expected)):
                return f"{name!r} must be a subclass of shadeos_core.{expected.__name__}, got {value!r}"
        elif not callable(value):
            return f"{name!r} must be callable, got {value!r}"
        return None

    return check


class Kernel:
    """Build with :meth:`load`. Holds the workspace, the plugin manager and the registries."""

    def __init__(self, workspace: Workspace, plugins: PluginSet) -> None:
        self.workspace = workspace
        self.plugins = plugins
        self.daemon_types: Registry[type] = Registry("daemon type")
        self.meta_daemon_types: Registry[type] = Registry("meta-daemon type")
        self.memory_backends: Registry[Callable[..., Any]] = Registry("memory backend")
        self.janitors: Registry[type] = Registry("janitor")
        self.execution_modes: Registry[type] = Registry("execution mode")
        self.checks: Registry[Callable[..., Any]] = Registry("check")
        #: Commands of ``kin``, filled by :meth:`add_commands` (empty until a command line is built).
        self.commands: Registry[Any] = Registry("command")
        self.team_files: list[tuple[Path, str]] = []
        self._events: EventDispatcher | None = None
        self._collect()

    @classmethod
    def load(cls, cwd: str | os.PathLike[str] | None = None, *, disabled: Iterable[str] = (),
             strict: bool | None = None, extra: Iterable[tuple[str, object]] = ()) -> Kernel:
        """Find the workspace from ``cwd`` and load every plugin not ``disabled``."""
        return cls(Workspace.find(cwd), load_plugins(disabled=disabled, strict=strict, extra=extra))

    @property
    def hooks(self) -> Hooks:
        """Typed calls to every hook, each plugin's failures kept its own (see :mod:`shadeos_core.hooks`)."""
        return self.plugins.hooks

    @property
    def pm(self) -> pluggy.PluginManager:
        """The plugin manager itself; calling code goes through :attr:`hooks`."""
        return self.plugins.pm

    def registries(self) -> dict[str, Registry[Any]]:
        """Every registry by attribute name, in the order people read them (team files are in ``team_files``)."""
        order = ("daemon_types", "meta_daemon_types", "execution_modes", "janitors", "checks", "memory_backends")
        names = [*order, *(attr for attr, _ in _REGISTRIES.values() if attr not in order), "commands"]
        return {attr: getattr(self, attr) for attr in names}

    # -- registrations, one plugin at a time ---------------------------------------------
    def _collect(self) -> None:
        for plugin_name in list(self.plugins.records):
            staged = {attr: Registry[Any](kind) for attr, kind in _REGISTRIES.values()}
            teams: list[tuple[Path, str]] = []
            try:
                self._stage(plugin_name, staged, teams)
                for attr, registry in staged.items():
                    getattr(self, attr).merge(registry)
            except BaseException as exc:  # noqa: BLE001 - a plugin's sys.exit at registration rejects that plugin
                reason = exc.message if isinstance(exc, KinError) else f"{type(exc).__name__}: {exc}"
                self.plugins.reject(plugin_name, reason)
                continue
            self.team_files.extend(teams)

    def _stage(self, plugin_name: str, staged: dict[str, Registry[Any]], teams: list[tuple[Path, str]]) -> None:
        for hook, (attr, _) in _REGISTRIES.items():
            check = _validator(attr)

            def register(name: str, value: Any, _attr: str = attr, _check: Callable[..., Any] = check) -> None:
                problem = _check(name, value)
                if problem:
                    raise KinError(f"bad {staged[_attr].kind}: {problem}")
                if name in getattr(self, _attr):
                    owner = getattr(self, _attr).owner(name)
                    raise KinError(f"{staged[_attr].kind} {name!r} is already registered by {owner!r}")
                staged[_attr].add(name, value, plugin_name)

            hook(self.hooks, plugin=plugin_name, register=register)

        def register_team(path: Any) -> None:
            file = Path(path)
            if not file.is_file():
                raise KinError(f"registered team file {file} does not exist")
            teams.append((file, plugin_name))

        self.hooks.register_teams(plugin=plugin_name, register=register_team)

    # -- typed access to the hooks -------------------------------------------------------
    def teams(self, cwd: str | os.PathLike[str] | None = None, *, check_values: bool = True) -> TeamSet:
        """Every team visible from ``cwd`` (default: the workspace root), validated as each is asked for."""
        from .team import TeamSet

        return TeamSet(self.workspace, self, cwd=cwd, check_values=check_values)

    def emit(self, event: DaemonEvent, *, later: bool = False) -> None:
        """Broadcast ``event`` to every ``daemon_event`` listener, on the kernel's event thread (in order).

        Returns at once: a listener that fails (whatever it raises) is reported
        once and skipped, one that hangs delays only the events behind it.
        :meth:`flush_events` waits for delivery. With ``later`` the event waits
        for the next one emitted without it or for :meth:`release_events` (a
        runner calls it once it has had nothing to do for a moment, or when
        the oldest has waited long enough): the events a message makes on its
        way are handled while no message travels.
        """
        self._dispatcher().put(event, later=later)

    def emit_later(self, kind: str, daemon_id: str, team: str, data: dict[str, Any]) -> None:
        """``emit(DaemonEvent(kind, daemon_id, team, data), later=True)``, the event made (its time taken now)
        only when delivered: the events a message makes on its way cost it next to nothing."""
        (self._events or self._dispatcher()).hold((kind, daemon_id, team, data, time.time()))

    def _dispatcher(self) -> EventDispatcher:
        if self._events is None:
            from .containment import EventDispatcher
            from .events import DaemonEvent

            self._events = EventDispatcher(self._deliver, build=DaemonEvent)
        return self._events

    def release_events(self) -> None:
        """Send on the events emitted ``later`` (see :meth:`emit`)."""
        if self._events is not None:
            self._events.release()

    def events_held_since(self) -> float | None:
        """When (``time.monotonic()``) the oldest event emitted ``later`` and not sent on yet was; ``None``: none."""
        return self._events.held_since if self._events is not None else None

    def flush_events(self, timeout: float = 2.0) -> bool:
        """Wait until every event emitted so far reached its listeners (False when one is stuck past ``timeout``)."""
        return self._events.flush(timeout) if self._events is not None else True

    def _deliver(self, event: DaemonEvent) -> None:
        self.hooks.daemon_event(event=event)

    def run_team(self, team: Team) -> int | None:
        """Hand ``team`` to the first plugin that runs teams; ``None`` when none is installed."""
        return self.hooks.run_team(team=team, kernel=self)

    def add_commands(self, cli: click.Group) -> list[str]:
        """Let every plugin add commands; returns one line per plugin whose commands failed.

        The commands ``cli`` already has are the core's; :attr:`commands` records each command's plugin.
        """
        problems = []
        for name, existing in cli.commands.items():
            if name not in self.commands:
                self.commands.add(name, existing, "core")
        for plugin in reversed(self.hooks.implementers("register_commands")):
            before = dict(cli.commands)
            try:
                self.hooks.register_commands(plugin=plugin, cli=cli)
            except BaseException as exc:  # noqa: BLE001 - plugin code: contained whatever it raises
                cli.commands.clear()
                cli.commands.update(before)
                problems.append(f"plugin {plugin!r}: its commands were not added: {type(exc).__name__}: {exc}")
                continue
            for name in before:
                if cli.commands.get(name) is not before[name]:
                    cli.commands[name] = before[name]
                    problems.append(f"plugin {plugin!r}: command {name!r} already exists; kept the original")
            for name in cli.commands.keys() - before.keys():
                self.commands.add(name, cli.commands[name], plugin)
        return problems

    def run_checks(self, ctx: Any, *, timeout: float = 60.0) -> list[Any]:
        """Run every registered check, each in a child process of its own with ``timeout``.

        A check that raises, exits (even through ``os._exit``), dies or hangs
        becomes an error finding naming it: no check decides ``kin check``'s
        outcome except through the findings it returns.
        """
        from .checks import Finding
        from .containment import run_isolated

        findings: list[Finding] = []
        for name, fn in self.checks.items():

            def run(fn: Callable[..., Any] = fn, name: str = name) -> list[dict[str, Any]]:
                out = []
                try:
                    for finding in fn(ctx) or ():
                        if not isinstance(finding, Finding):
                            raise TypeError(f"a check returns Finding objects, not {type(finding).__name__}")
                        out.append(finding.to_json())
                except KinError as exc:  # bad configuration the check met: said as it is, not as its failure
                    out.append(Finding("error", str(exc), check=name).to_json())
                return out

            outcome = run_isolated(run, timeout=timeout)
            if not outcome.ok:
                findings.append(Finding("error", f"check {outcome.problem}", check=name))
                continue
            for raw in outcome.value:
                line = raw.get("line")
                findings.append(Finding(raw["level"], raw["message"], path=raw.get("path") or "",
                                        line=line if isinstance(line, int) else None,
                                        check=raw.get("check") or name, hint=raw.get("hint") or ""))
        return findings
