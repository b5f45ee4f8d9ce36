"""Typed calls to every hook: the one place that talks to pluggy's hook relay.

:class:`Hooks` has a method per hook of the contract, with the hookspec's
arguments. The ``register_*`` and ``register_commands`` methods also take the
``plugin`` whose implementations to call, so that the kernel collects one
plugin at a time and a failure stays that plugin's own; ``daemon_event``
contains each listener. Hooks that plugins declare for one another (through
``add_hookspecs``) are reached by name: :meth:`Hooks.call`,
:meth:`Hooks.call_plugin`, :meth:`Hooks.implementers`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from .events import DaemonEvent
    from .kernel import Kernel
    from .team import Team

__all__ = ["Hooks"]


class Hooks:
    """The hooks of one plugin manager, called with keyword arguments only (``kernel.hooks``)."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._pm = pm

    # -- any hook, by name -------------------------------------------------------------------------------
    def declared(self) -> list[str]:
        """Every hook with a spec: the contract's and those plugins added, sorted."""
        return sorted(name for name, caller in self._callers() if caller.spec is not None)

    def undeclared(self) -> list[tuple[str, str]]:
        """``(hook, plugin)`` for each implementation of a hook nobody declared (``optionalhook`` ones aside)."""
        return [(name, impl.plugin_name) for name, caller in self._callers() if caller.spec is None
                for impl in caller.get_hookimpls() if not impl.optionalhook]

    def arguments(self, name: str) -> tuple[str, ...] | None:
        """The argument names of hook ``name``'s spec; ``None`` when no plugin declares it."""
        caller: pluggy.HookCaller | None = getattr(self._pm.hook, name, None)
        return None if caller is None or caller.spec is None else tuple(caller.spec.argnames)

    def implementers(self, name: str) -> list[str]:
        """The plugins implementing hook ``name``, in load order; empty when no plugin declares or implements it."""
        names: list[str] = []
        for impl in self._impls(name):
            if impl.plugin_name not in names:
                names.append(impl.plugin_name)
        return names

    def has(self, name: str) -> bool:
        """Whether some plugin implements hook ``name`` (``False`` tells "that plugin is not installed")."""
        return bool(self._impls(name))

    def call(self, name: str, **kwargs: Any) -> Any:
        """Call hook ``name`` on every plugin, as pluggy does (``firstresult``: the first answer that is not
        ``None``; else the list of answers); ``None`` when no plugin declares it. What a plugin raises propagates.
        """
        caller = getattr(self._pm.hook, name, None)
        return None if caller is None else caller(**kwargs)

    def call_plugin(self, name: str, plugin: str, **kwargs: Any) -> list[Any]:
        """Call only ``plugin``'s implementations of hook ``name``; their answers, in load order.

        Each implementation gets the arguments it names; what it raises propagates, so the caller can reject
        that plugin alone.
        """
        return [impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
                for impl in self._impls(name) if impl.plugin_name == plugin]

    def _callers(self) -> list[tuple[str, pluggy.HookCaller]]:
        relay = self._pm.hook
        return [(name, getattr(relay, name)) for name in dir(relay) if not name.startswith("_")]

    def _impls(self, name: str) -> list[pluggy.HookImpl]:
        caller: pluggy.HookCaller | None = getattr(self._pm.hook, name, None)
        return [] if caller is None else caller.get_hookimpls()

    # -- the contract (shadeos_core.hookspecs) -----------------------------------------------------------
    def register_daemons(self, *, plugin: str, register: Callable[[str, type], None]) -> None:
        """Let ``plugin`` register its daemon types."""
        self.call_plugin("register_daemons", plugin, register=register)

    def register_meta_daemons(self, *, plugin: str, register: Callable[[str, type], None]) -> None:
        """Let ``plugin`` register its meta-daemon types."""
        self.call_plugin("register_meta_daemons", plugin, register=register)

    def register_memory_backends(self, *, plugin: str, register: Callable[[str, Callable[..., Any]], None]) -> None:
        """Let ``plugin`` register its memory backends."""
        self.call_plugin("register_memory_backends", plugin, register=register)

    def register_janitors(self, *, plugin: str, register: Callable[[str, type], None]) -> None:
        """Let ``plugin`` register its janitors."""
        self.call_plugin("register_janitors", plugin, register=register)

    def register_execution_modes(self, *, plugin: str, register: Callable[[str, type], None]) -> None:
        """Let ``plugin`` register its execution modes."""
        self.call_plugin("register_execution_modes", plugin, register=register)

    def register_teams(self, *, plugin: str, register: Callable[[Any], None]) -> None:
        """Let ``plugin`` register the team files it ships."""
        self.call_plugin("register_teams", plugin, register=register)

    def register_checks(self, *, plugin: str, register: Callable[[str, Callable[..., Any]], None]) -> None:
        """Let ``plugin`` register its checks."""
        self.call_plugin("register_checks", plugin, register=register)

    def register_commands(self, *, plugin: str, cli: click.Group) -> None:
        """Let ``plugin`` add its commands to ``cli``."""
        self.call_plugin("register_commands", plugin, cli=cli)

    def run_team(self, *, team: Team, kernel: Kernel) -> int | None:
        """The exit code from the first plugin that runs ``team``; ``None`` when none does."""
        result: int | None = self._pm.hook.run_team(team=team, kernel=kernel)
        return result

    def daemon_event(self, *, event: DaemonEvent) -> None:
        """Hand ``event`` to every listener, in call order; one that raises is reported once and skipped."""
        from .containment import contained

        for impl in reversed(self._impls("daemon_event")):
            contained(impl.plugin_name, "daemon_event", impl.function, event=event)

    def add_hookspecs(self, *, pluginmanager: pluggy.PluginManager) -> None:
        """Let each plugin declare its own hookspecs as it registers (historic: later plugins are called too)."""
        self._pm.hook.add_hookspecs.call_historic(kwargs={"pluginmanager": pluginmanager})
