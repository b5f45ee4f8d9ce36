"""``kin run TEAM``: hand a team to the plugin that runs teams."""
from __future__ import annotations

import rich_click as click

from ..errors import ConfigError
from .app import App


@click.command("run")
@click.argument("team")
@click.pass_obj
def command(app: App, team: str) -> int:
    """Start TEAM and supervise it until Ctrl+C (`kin TEAM` is the same).

    The team comes from kin.toml, teams/*.toml, .kin/teams/*.toml or a plugin;
    running it needs a plugin that implements `run_team` (shadeos-orchestrator).
    """
    kernel = app.kernel
    resolved = kernel.teams(cwd=app.cwd).get(team)
    if not kernel.hooks.has("run_team"):
        raise ConfigError(
            f"no installed plugin can run teams, so team {resolved.name!r} cannot start",
            hint="install the orchestrator: pip install shadeos-orchestrator "
                 "(in this repository: pip install -e plugins/orchestrator)",
        )
    code = kernel.run_team(resolved)
    return 0 if code is None else int(code)
