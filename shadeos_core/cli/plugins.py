"""``kin plugins``: what is installed, what loaded, and what each plugin provides."""
from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

import rich_click as click

from .app import App
from .output import print_json, shown

if TYPE_CHECKING:
    from ..kernel import Kernel

#: Hooks whose registrations are listed by name; the plugin's other hooks are listed as hooks.
REGISTERING_HOOKS = frozenset({"register_daemons", "register_meta_daemons", "register_memory_backends",
                               "register_janitors", "register_execution_modes", "register_checks",
                               "register_teams", "register_commands"})


def provided(kernel: Kernel) -> dict[str, dict[str, list[str]]]:
    """Plugin name -> kind (``daemon_types``, …, ``teams``, ``commands``) -> the names it registered, sorted."""
    registries = kernel.registries()
    teams = _plugin_teams(kernel)
    return {plugin: {key: teams.get(plugin, []) if key == "teams" else registries[key].names_of(plugin)
                     for key in kinds(kernel)}
            for plugin in kernel.plugins.records}


def kinds(kernel: Kernel) -> list[str]:
    """The keys of ``provides``: every kernel registry, with team files before commands."""
    registries = [attr for attr in kernel.registries() if attr != "commands"]
    return [*registries, "teams", "commands"]


def _plugin_teams(kernel: Kernel) -> dict[str, list[str]]:
    """Plugin name -> the teams it ships (also those a project team of the same name overrides)."""
    teams = kernel.teams()
    found: dict[str, set[str]] = {}
    for name in teams.names():
        for source in [teams.source_of(name), *teams.shadowed.get(name, [])]:
            if source is not None and source.kind.startswith("plugin:"):
                found.setdefault(source.kind.partition(":")[2], set()).add(name)
    for path, plugin in kernel.team_files:
        if str(path) in teams.file_errors:  # unreadable: named after its file, as a team file without [team] name
            found.setdefault(plugin, set()).add(path.stem)
    return {plugin: sorted(names) for plugin, names in found.items()}


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array: name, module, dist, version, builtin, loaded, error, hooks, provides.")
@click.option("--hook", default=None, help="Only plugins implementing this hook.")
@click.pass_obj
def command(app: App, as_json: bool, hook: str | None) -> None:
    """List plugins and what each provides: daemon and meta-daemon types, execution modes,
    janitors, checks, memory backends, teams and commands. Plugins that failed to load are
    listed with their error; blocked ones are named at the end.
    """
    kernel = app.kernel
    plugins = kernel.plugins
    offers = provided(kernel)
    entries = [record.to_json() | {"loaded": True, "error": None, "provides": offers[record.name]}
               for record in plugins.records.values() if hook is None or hook in record.hooks]
    if hook is None:
        nothing: dict[str, list[str]] = {key: [] for key in kinds(kernel)}
        entries += [failure.to_json() | {"loaded": False, "error": failure.reason, "provides": nothing}
                    for failure in plugins.failures]
    if as_json:
        print_json(entries)
        return
    labels = {attr: f"{registry.kind}s" for attr, registry in kernel.registries().items()} | {"teams": "teams"}
    listings = [_describe(entry, labels) for entry in entries]
    column = 4 + max((len(label) for _, lines in listings for label, _, _ in lines), default=0)
    width = max(shutil.get_terminal_size((80, 24)).columns, column + 20)
    for index, (heading, lines) in enumerate(listings):
        click.echo(("\n" if index else "") + click.style(heading, bold=True))
        for label, items, sep in lines:
            for index, line in enumerate(_pack(items, sep, width - column)):
                click.echo(f"  {label:<{column - 2}}{line}" if index == 0 else " " * column + line)
    if not entries:
        click.echo(f"no plugin implements {hook!r}" if hook else "no plugins loaded")
    if plugins.blocked:
        click.echo(f"\nblocked: {', '.join(sorted(plugins.blocked))}")


def _describe(entry: dict[str, Any], labels: dict[str, str]) -> tuple[str, list[tuple[str, list[str], str]]]:
    """A plugin's heading, and (label, items, separator) for each kind of thing it provides."""
    origin = f"{entry['dist']} {entry['version']}".strip() or f"module {entry['module']}"
    heading = f"{shown(entry['name'])} ({shown(origin)}{', builtin' if entry['builtin'] else ''})"
    lines: list[tuple[str, list[str], str]] = []
    if not entry["loaded"]:
        heading += ": not loaded"
        lines.append(("error", shown(entry["error"]).split(" "), " "))
    for key, names in entry["provides"].items():
        if names:
            lines.append((labels.get(key, key), [shown(name) for name in names], ", "))
    others = [hook for hook in entry["hooks"] if hook not in REGISTERING_HOOKS]
    if others:
        lines.append(("other hooks", others, ", "))
    return heading, lines or [("hooks", ["none"], ", ")]


def _pack(items: list[str], sep: str, width: int) -> list[str]:
    """``items`` joined by ``sep`` in lines of up to ``width`` characters, never splitting an item
    (one longer than ``width`` gets a line of its own)."""
    lines = [""]
    for index, item in enumerate(items):
        piece = item + (sep.rstrip() if index < len(items) - 1 else "")
        if lines[-1] and len(lines[-1]) + 1 + len(piece) > width:
            lines.append("")
        lines[-1] += (" " if lines[-1] else "") + piece
    return lines
