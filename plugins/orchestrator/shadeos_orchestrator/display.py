"""Seeing a running team: a live rich table on a terminal, one plain line per event otherwise.

The table is ``kin status``'s (:class:`shadeos_core.cli.status.DaemonTable`):
daemon names, states and pids stay whole, the least important columns go first
as the terminal narrows, and what went wrong (a failing daemon, the last error
line of one that crashed) is said whole below it. When the team has stopped,
the last frame shows every daemon stopped and one summary line.
"""
from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from shadeos_core.durations import format_duration
from shadeos_core.text import shown

if TYPE_CHECKING:
    from .supervisor import Supervisor

__all__ = ["Display", "LogLines", "Dashboard", "choose_display", "summary"]

#: Recent events under the table.
EVENT_LINES = 6


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
        self.supervisor: Supervisor | None = None
        self._opened = 0.0

    def open(self, supervisor: Supervisor) -> None:
        self.supervisor, self._opened = supervisor, time.monotonic()

    def event(self, line: str) -> None:
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe must not take the team down

    def close(self) -> None:
        if self.supervisor is not None:
            self.event(summary(self.supervisor, time.monotonic() - self._opened))
            self.supervisor = None


def summary(supervisor: Supervisor, ran: float) -> str:
    """One line on a team that has stopped: how many daemons stopped, how many gave up, restarts, time run."""
    children = list(supervisor.children.values())
    fatal = [c.name for c in children if c.state == "FATAL"]
    restarts = sum(c.restarts for c in children)
    line = f"team {supervisor.team.name} stopped after {format_duration(ran)}: {len(children) - len(fatal)} " \
           f"daemon{'s' if len(children) - len(fatal) != 1 else ''} stopped"
    if fatal:
        line += f", {len(fatal)} FATAL ({', '.join(fatal)})"
    return line + f", {restarts} restart{'s' if restarts != 1 else ''}"


def view(supervisor: Supervisor, closing: str | None = None) -> Any:
    """The dashboard: a title, the table, what went wrong, the recent events (and ``closing`` at the end)."""
    from rich.console import Group
    from rich.text import Text

    from shadeos_core.cli.status import DaemonTable, trouble_lines

    snap = supervisor.snapshot()
    phases = {name: ",".join(p for p, names in supervisor.team.phases.items() if name in names) or "all"
              for name in (d["name"] for d in snap["daemons"])}
    parts: list[Any] = [Text(f"kin {supervisor.team.name}  phase {snap['phase'] or '-'}  pid {snap['pid']}",
                             style="bold", no_wrap=True, overflow="ellipsis"),
                        DaemonTable(snap["daemons"], phases=phases)]
    parts += [Text(line, style="red", no_wrap=True, overflow="ellipsis") for line in trouble_lines(snap["daemons"])]
    parts += [Text(shown(line), style="dim", no_wrap=True, overflow="ellipsis")
              for line in list(supervisor.events)[-EVENT_LINES:]]
    if closing:
        parts.append(Text(closing, style="bold", no_wrap=True, overflow="ellipsis"))
    return Group(*parts)


class Dashboard(Display):
    """A rich ``Live`` view, redrawn at most a few times a second; its last frame stays on the terminal."""

    def __init__(self) -> None:
        self.live: Any = None
        self.supervisor: Supervisor | None = None
        self._last = 0.0
        self._opened = 0.0

    def open(self, supervisor: Supervisor) -> None:
        from rich.live import Live

        self.supervisor, self._opened = supervisor, time.monotonic()
        self.live = Live(view(supervisor), auto_refresh=False, transient=False)
        self.live.start()

    def refresh(self, supervisor: Supervisor) -> None:
        now = time.monotonic()
        if self.live is not None and now - self._last >= 0.25:
            self._last = now
            self.live.update(view(supervisor), refresh=True)

    def close(self) -> None:
        if self.live is None:
            return
        try:
            if self.supervisor is not None:
                ran = time.monotonic() - self._opened
                self.live.update(view(self.supervisor, summary(self.supervisor, ran)), refresh=True)
        finally:
            self.live.stop()
            self.live = None


def choose_display(stream: TextIO | None = None) -> Display:
    """The dashboard on a terminal, plain lines otherwise."""
    stream = stream or sys.stdout
    return Dashboard() if stream.isatty() else LogLines(stream)
