"""Hook implementations of the orchestrator plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shadeos_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel
    from shadeos_core.team import Team


@hookimpl
def run_team(team: Team, kernel: Kernel) -> int:
    """Run ``team`` under supervision until Ctrl+C, SIGTERM or ``kin stop``."""
    from .display import choose_display
    from .supervisor import Supervisor

    return Supervisor(team, kernel, display=choose_display()).run()


@hookimpl
def register_commands(cli: Any) -> None:
    from .commands import stop, task
    from .daemon_commands import daemon

    cli.add_command(stop)
    cli.add_command(task)
    cli.add_command(daemon)
