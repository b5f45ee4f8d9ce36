"""Seeing a running team: a live rich table on a terminal, one plain line per event otherwise."""
from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from shadeos_core.cli.output import tokens_cell
from shadeos_core.durations import format_duration

if TYPE_CHECKING:
    from .supervisor import Supervisor

__all__ = ["Display", "LogLines", "Dashboard", "choose_display"]

_COLOURS = {"RUNNING": "green", "STARTING": "cyan", "BACKOFF": "yellow", "STOPPING": "magenta",
            "STOPPED": "dim", "EXITED": "dim", "FATAL": "bold red"}


class Display:
    """What the supervisor calls: :meth:`open`, :meth:`event` per event, :meth:`refresh` per cycle, :meth:`close`."""

    def open(self, supervisor: Supervisor) -> None: ...
    def event(self, line: str) -> None: ...
    def refresh(self, supervisor: Supervisor) -> None: ...
    def close(self) -> None: ...


class LogLines(Display):
    """One plain line per event, flushed at once (for pipes, files and CI logs: no escape codes)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def event(self, line: str) -> None:
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe must not take the team down


def _bytes(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "K", "M", "G"):
        if n < 1024:
            return f"{n:.0f}{unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n:.0f}T"


def table(supervisor: Supervisor) -> Any:
    """The dashboard: one row per daemon, then the recent events."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    snap = supervisor.snapshot()
    now = time.time()
    grid = Table(title=f"kin {supervisor.team.name}  phase {snap['phase'] or '-'}  pid {snap['pid']}",
                 header_style="bold", expand=False)
    models = any(d.get("model") for d in snap["daemons"])
    for column in ("daemon", "state", "pid", "uptime", "restarts", "phase", "task", "progress", "beat", "cpu", "mem",
                   *(("model", "tokens") if models else ())):
        grid.add_column(column)
    for d in snap["daemons"]:
        state = Text(d["state"], style=_COLOURS.get(d["state"], ""))
        if d["late"]:
            state.append(" late", style="yellow")
        if d["conflict"]:
            state.append(" conflict", style="red")
        phases = [p for p, names in supervisor.team.phases.items() if d["name"] in names]
        grid.add_row(d["name"], state, str(d["pid"] or ""),
                     format_duration(now - d["started"]) if d["started"] else "", str(d["restarts"]),
                     ",".join(phases) or "all", (d["task"] or "")[:40], d["progress"] or "",
                     format_duration(d["heartbeat_age"]) if d["heartbeat_age"] is not None else "",
                     f"{d['cpu']:.0f}%" if d["cpu"] is not None else "", _bytes(d["memory"]),
                     *((d.get("model") or "", tokens_cell(d)) if models else ()))
    events = Text("\n".join(list(supervisor.events)[-6:]), style="dim")
    return Group(grid, events)


class Dashboard(Display):
    """A rich ``Live`` table, redrawn at most a few times a second."""

    def __init__(self) -> None:
        self.live: Any = None
        self._last = 0.0

    def open(self, supervisor: Supervisor) -> None:
        from rich.live import Live

        self.live = Live(table(supervisor), auto_refresh=False, transient=False)
        self.live.start()

    def refresh(self, supervisor: Supervisor) -> None:
        now = time.monotonic()
        if self.live is not None and now - self._last >= 0.25:
            self._last = now
            self.live.update(table(supervisor), refresh=True)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def choose_display(stream: TextIO | None = None) -> Display:
    """The dashboard on a terminal, plain lines otherwise."""
    stream = stream or sys.stdout
    return Dashboard() if stream.isatty() else LogLines(stream)
