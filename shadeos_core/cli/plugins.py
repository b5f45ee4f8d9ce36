"""``kin plugins``: what is installed, what loaded, which hooks each implements."""
from __future__ import annotations

import rich_click as click

from .app import App
from .output import print_json, print_table


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (name, dist, version, hooks…).")
@click.option("--hook", default=None, help="Only plugins implementing this hook.")
@click.pass_obj
def command(app: App, as_json: bool, hook: str | None) -> None:
    """List loaded plugins with their distribution, version and hooks; failed ones are listed too."""
    plugins = app.kernel.plugins
    records = [r for r in plugins.records.values() if hook is None or hook in r.hooks]
    failures = [] if hook else plugins.failures
    if as_json:
        print_json([r.to_json() | {"loaded": True} for r in records]
                   + [{"name": f.name, "dist": f.dist, "version": "", "hooks": [], "loaded": False, "error": f.reason}
                      for f in failures])
        return
    rows = [(r.name, r.dist + (" (builtin)" if r.builtin else ""), r.version, ", ".join(r.hooks)) for r in records]
    rows += [(f.name, f.dist, "", f"[red]not loaded: {f.reason}[/red]") for f in failures]
    print_table(["plugin", "dist", "version", "hooks"], rows)
    if plugins.blocked:
        click.echo(f"blocked: {', '.join(sorted(plugins.blocked))}")
