"""Finding and loading plugins, one at a time, so one broken plugin breaks nothing else."""
from __future__ import annotations

import difflib
import functools
import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from .errors import KinError
from .hooks import Hooks

__all__ = ["ENTRY_POINT_GROUP", "BUILTINS", "BUILTIN_PLUGINS", "PluginRecord", "PluginFailure", "PluginSet",
           "load_plugins", "disabled_from_env"]

ENTRY_POINT_GROUP = "shadeos"
#: Modules of the core that register like any other plugin.
BUILTINS: tuple[tuple[str, str], ...] = (("core", "shadeos_core.builtin"),)
#: The builtin plugins (entry point name -> distribution). They load before any other plugin, so a third-party
#: plugin can never take a name one of them registers, whatever their names' order: it is the one refused.
BUILTIN_PLUGINS = {name: f"shadeos-{name}" for name in (
    "luciorbe", "process", "orchestrator", "map", "archivist", "context", "agents", "actions", "web", "ray")}


@dataclass
class PluginRecord:
    """A plugin that loaded: where it comes from and which hooks it implements."""

    name: str
    module: str
    dist: str
    version: str
    builtin: bool
    hooks: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "module": self.module, "dist": self.dist, "version": self.version,
                "builtin": self.builtin, "hooks": self.hooks}


@dataclass
class PluginFailure:
    """A plugin that was skipped, and why (one line)."""

    name: str
    dist: str
    reason: str
    module: str = ""
    version: str = ""
    builtin: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "module": self.module, "dist": self.dist, "version": self.version,
                "builtin": self.builtin, "hooks": []}

    def __str__(self) -> str:
        source = f" (from {self.dist})" if self.dist else ""
        return f"plugin {self.name!r}{source} was not loaded: {self.reason}"


@dataclass
class _Candidate:
    name: str
    module: str
    dist: str
    version: str
    builtin: bool
    load: Callable[[], Any]


class PluginSet:
    """The plugin manager plus what loaded and what did not."""

    def __init__(self, pm: pluggy.PluginManager, strict: bool) -> None:
        self.pm = pm
        self.hooks = Hooks(pm)
        self.strict = strict
        self.records: dict[str, PluginRecord] = {}
        self.failures: list[PluginFailure] = []
        self.blocked: set[str] = set()
        #: Names blocked (``-p no:NAME``, ``KIN_DISABLE_PLUGINS``) that no plugin has: a typo, said as a warning.
        self.unknown_blocked: list[str] = []

    def reject(self, name: str, reason: str) -> None:
        """Unregister plugin ``name`` and report it; fatal under ``KIN_STRICT_PLUGINS=1``."""
        record = self.records.pop(name, None)
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin=plugin, name=name)
        failure = (PluginFailure(name, record.dist, reason, record.module, record.version, record.builtin)
                   if record else PluginFailure(name, "", reason))
        self.failures.append(failure)
        if self.strict:
            raise KinError(str(failure),
                           hint="KIN_STRICT_PLUGINS=1 makes plugin failures fatal; unset it to skip the plugin")


def disabled_from_env(environ: dict[str, str] | None = None) -> set[str]:
    """Plugin names listed in ``KIN_DISABLE_PLUGINS`` (comma separated)."""
    env = os.environ if environ is None else environ
    return {part.strip() for part in env.get("KIN_DISABLE_PLUGINS", "").split(",") if part.strip()}


def _strict_from_env() -> bool:
    return os.environ.get("KIN_STRICT_PLUGINS", "").strip().lower() in {"1", "true", "yes", "on"}


def _candidates() -> list[_Candidate]:
    found: list[_Candidate] = []
    for name, module in BUILTINS:
        found.append(_Candidate(name, module, "shadeos", _version("shadeos"), True,
                                functools.partial(importlib.import_module, module)))

    def order(ep: metadata.EntryPoint) -> tuple[bool, str]:
        dist = ep.dist.name if ep.dist is not None else ""
        return BUILTIN_PLUGINS.get(ep.name) != dist, ep.name

    eps = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=order)
    for ep in eps:
        dist = ep.dist.name if ep.dist is not None else ""
        version = ep.dist.version if ep.dist is not None else ""
        found.append(_Candidate(ep.name, ep.value, dist, version, False, ep.load))
    # KIN_PLUGINS=pkg.module,... loads uninstalled plugin modules (while developing one, and in tests).
    for module in (m.strip() for m in os.environ.get("KIN_PLUGINS", "").split(",")):
        if module:
            found.append(_Candidate(module, module, "", "", False, functools.partial(importlib.import_module, module)))
    return found


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _hooks_of(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    callers = pm.get_hookcallers(plugin) or []
    return sorted(caller.name for caller in callers)


def load_plugins(
    *,
    disabled: Iterable[str] = (),
    strict: bool | None = None,
    extra: Iterable[tuple[str, ModuleType | object]] = (),
) -> PluginSet:
    """Build a fresh plugin manager and load builtins, then entry points, one at a time.

    A plugin that fails to import, whose hooks do not match the specs, or that
    implements a hook nobody declared is unregistered and recorded in
    ``failures``. ``extra`` registers ready objects (used by tests and embedders).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    plugins = PluginSet(pm, _strict_from_env() if strict is None else strict)
    # Historic: each plugin's add_hookspecs runs as it registers, so its own specs exist for those after it.
    plugins.hooks.add_hookspecs(pluginmanager=pm)
    blocked = set(disabled) | disabled_from_env()
    plugins.blocked = blocked
    for name in blocked:
        pm.set_blocked(name)

    seen: set[str] = set()
    candidates = _candidates()
    known = {cand.name for cand in candidates} | {name for name, _ in extra}
    plugins.unknown_blocked = sorted(blocked - known)
    for cand in candidates:
        if cand.name in blocked:
            continue
        if cand.name in seen:
            plugins.failures.append(PluginFailure(cand.name, cand.dist,
                                                  "another installed plugin already has this name",
                                                  cand.module, cand.version, cand.builtin))
            continue
        seen.add(cand.name)
        plugins.records[cand.name] = PluginRecord(cand.name, cand.module, cand.dist, cand.version, cand.builtin)
        try:
            obj = cand.load()
            pm.register(obj, name=cand.name)
        except KinError:
            raise
        except Exception as exc:  # a plugin's import may raise anything
            plugins.reject(cand.name, _describe(exc))
            continue

    for name, obj in extra:
        if name in blocked:
            continue
        plugins.records[name] = PluginRecord(name, getattr(obj, "__name__", type(obj).__name__), "", "", False)
        try:
            pm.register(obj, name=name)
        except Exception as exc:
            plugins.reject(name, _describe(exc))

    _reject_unknown_hooks(plugins)
    for name, record in plugins.records.items():
        record.hooks = _hooks_of(pm, pm.get_plugin(name))
    return plugins


def _reject_unknown_hooks(plugins: PluginSet) -> None:
    """Like ``check_pending``, but rejects the offending plugin instead of failing everything."""
    known = plugins.hooks.declared()
    offenders: dict[str, str] = {}
    for name, plugin_name in plugins.hooks.undeclared():
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        offenders.setdefault(plugin_name, f"it implements {name!r}, which is not a known hook{hint}")
    for plugin_name, reason in offenders.items():
        plugins.reject(plugin_name, reason)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, pluggy.PluginValidationError):
        return f"invalid hook implementation: {text}"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

