"""``kin status``: what runs in this workspace, read from the state running teams publish.

:class:`DaemonTable` draws the daemons of a published state so that it fits
the terminal (the orchestrator's live dashboard draws the same table), and
:func:`trouble_lines` says, one line per daemon, what went wrong.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rich_click as click

from ..durations import format_duration
from ..errors import UsageError
from ..teamstate import read_team_states
from ..text import shown
from .app import App
from .output import console, print_json, tokens_cell

__all__ = ["command", "DaemonTable", "trouble_lines", "STATE_STYLES"]

STATE_STYLES = {"RUNNING": "green", "STARTING": "cyan", "BACKOFF": "yellow", "STOPPING": "magenta",
                "STOPPED": "dim", "EXITED": "dim", "FATAL": "bold red"}
#: States of a daemon whose process ended on its own: the table says why below it.
_ENDED = ("BACKOFF", "EXITED", "FATAL")
_GAP = 3  # cells between two columns (padding and rule)


@dataclass(frozen=True)
class Column:
    """A column of the table. ``rank`` 0 is always shown whole; as the terminal narrows the highest ranks go
    first. ``least`` > 0: its cells may be cut (with an ellipsis) down to that width, and less important
    columns come in only once it has ``enough``; otherwise its cells are always whole."""

    header: str
    rank: int
    cell: Callable[[dict[str, Any], float], Any]
    least: int = 0
    enough: int = 0


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _age(value: Any) -> str:
    seconds = _number(value)
    return format_duration(max(0.0, seconds)) if seconds is not None else ""


def _bytes(value: Any) -> str:
    size = _number(value)
    if size is None:
        return ""
    for unit in ("B", "K", "M", "G"):
        if size < 1024:
            return f"{size:.0f}{unit}"
        size /= 1024
    return f"{size:.0f}T"


def _state(d: dict[str, Any], _now: float) -> Any:
    from rich.text import Text

    state = shown(d.get("state") or "")
    text = Text(state, style="bold red" if d.get("failing") else STATE_STYLES.get(state, ""))
    for flag, style in (("failing", "bold red"), ("late", "yellow"), ("conflict", "red")):
        if d.get(flag):
            text.append(f" {flag}", style=style)
    return text


def _progress(d: dict[str, Any], _now: float) -> Any:
    from rich.text import Text

    return Text(shown(d.get("progress") or ""), style="red" if d.get("failing") else "")


def _uptime(d: dict[str, Any], now: float) -> str:
    started = _number(d.get("started"))
    return _age(now - started) if started is not None else ""


def columns(daemons: Sequence[dict[str, Any]], phases: Mapping[str, str] | None = None) -> list[Column]:
    """The columns, in the order shown (see :class:`Column` for what goes first)."""
    shown_columns = [
        Column("daemon", 0, lambda d, now: shown(d.get("name") or "")),
        Column("state", 0, _state),
        Column("pid", 0, lambda d, now: str(d.get("pid") or "")),
        Column("restarts", 3, lambda d, now: str(d.get("restarts") or 0)),
        Column("uptime", 4, _uptime),
        Column("beat", 5, lambda d, now: _age(d.get("heartbeat_age"))),
        Column("task", 1, lambda d, now: shown(d.get("task") or ""), least=10, enough=24),
        Column("progress", 2, _progress, least=8, enough=16),
    ]
    if any(d.get("place") for d in daemons):
        # where a daemon started through a mode that places it elsewhere runs (a node of a Ray cluster)
        shown_columns.append(Column("place", 3, lambda d, now: shown(d.get("place") or "local"), least=12, enough=40))
    if any(d.get("model") for d in daemons):
        shown_columns += [Column("model", 6, lambda d, now: shown(d.get("model") or ""), least=8, enough=20),
                          Column("tokens", 7, lambda d, now: tokens_cell(d))]
    shown_columns += [Column("cpu", 8, lambda d, now: f"{d['cpu']:.0f}%" if _number(d.get("cpu")) is not None else ""),
                      Column("mem", 9, lambda d, now: _bytes(d.get("memory")))]
    if phases is not None:
        shown_columns.append(Column("phase", 10, lambda d, now: phases.get(str(d.get("name")), "")))
    return shown_columns


def fit(chosen: Sequence[Column], natural: Sequence[int], width: int) -> dict[int, int]:
    """Which columns (by index) are shown at ``width`` cells, and how wide: rank by rank, each whole (a
    squeezable one: up to ``enough``, or cut to the room left) while it fits; the first that does not fit goes
    with every less important one. What is left widens the cut ones, the nearest to whole first."""
    by_rank = sorted(range(len(chosen)), key=lambda i: chosen[i].rank)
    widths: dict[int, int] = {}
    used = -_GAP
    for i in by_rank:
        column = chosen[i]
        least = min(natural[i], max(column.least, len(column.header))) if column.least else natural[i]
        wanted = max(least, min(natural[i], column.enough)) if column.least else natural[i]
        room = width - used - _GAP
        if column.rank and room < least:
            break
        widths[i] = max(least, min(wanted, room))
        used += _GAP + widths[i]
    spare = width - used
    for i in sorted(widths, key=lambda i: natural[i] - widths[i]):  # the nearest to whole first
        if spare > 0:
            grow = min(natural[i] - widths[i], spare)
            widths[i] += grow
            spare -= grow
    return widths


class DaemonTable:
    """The daemons of a team state as a table as wide as the terminal at the moment it is drawn."""

    def __init__(self, daemons: Sequence[dict[str, Any]], *, now: float | None = None,
                 phases: Mapping[str, str] | None = None) -> None:
        self.daemons = list(daemons)
        self.now = now
        self.phases = phases

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        now = time.time() if self.now is None else self.now
        chosen = columns(self.daemons, self.phases)
        rows = [[c if isinstance(c, Text) else Text(str(c)) for c in (col.cell(d, now) for col in chosen)]
                for d in self.daemons]
        natural = [max([len(col.header), *(row[i].cell_len for row in rows)]) for i, col in enumerate(chosen)]
        widths = fit(chosen, natural, options.max_width)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
        for i in sorted(widths):
            table.add_column(chosen[i].header, width=widths[i], no_wrap=True, overflow="ellipsis")
        for row in rows:
            table.add_row(*(row[i] for i in sorted(widths)))
        # never narrower than its whole columns: a terminal too narrow for them crops the right edge instead
        needed = sum(widths.values()) + _GAP * (len(widths) - 1)
        yield from console.render(table, options.update(width=max(options.max_width, needed)))


def trouble_lines(daemons: Sequence[dict[str, Any]]) -> list[str]:
    """One line per daemon in trouble, saying what went wrong: ``NAME: failing  exit 2: …`` for work that fails,
    ``NAME: FATAL  ModuleNotFoundError: …`` for a process that ended (its last error line, else the reason)."""
    lines = []
    for d in daemons:
        name, state = shown(d.get("name") or ""), shown(d.get("state") or "")
        if d.get("failing"):
            lines.append(f"{name}: failing  {shown(d['failing'])}")
        elif state in _ENDED and (state != "EXITED" or d.get("exit_code") != 0):
            why = d.get("last_error") or d.get("reason")
            lines.append(f"{name}: {state}  {shown(why)}" if why else f"{name}: {state}")
    return lines


@click.command("status")
@click.argument("team", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print an object: team, pid, running, daemons[…].")
@click.pass_obj
def command(app: App, team: str | None, as_json: bool) -> None:
    """Show the running team (or TEAM): each daemon's state, pid, restarts and task, and what went wrong."""
    workspace = app.kernel.workspace
    states = read_team_states(workspace)
    if team is not None:
        states = [s for s in states if s.get("team") == team]
    running = [s for s in states if s["running"]]
    chosen = running or states
    if len(chosen) > 1 and team is None:
        names = ", ".join(str(s.get("team")) for s in chosen)
        raise UsageError(f"several teams have state here ({names})", hint="name one: kin status TEAM")
    state = chosen[0] if chosen else {"team": team, "pid": None, "running": False, "daemons": []}
    if as_json:
        print_json({"workspace": str(workspace.root), **state})
        return
    if not chosen:
        click.echo(f"no team is running in {workspace.root}" + (f" under the name {team!r}" if team else ""))
        return
    since = state.get("started_at", "")
    status = "running" if state["running"] else "not running (last state shown)"
    click.echo(f"team {state['team']}  pid {state.get('pid')}  {status}  since {since}  phase {state.get('phase') or '-'}")
    daemons = state.get("daemons", [])
    console().print(DaemonTable(daemons))
    for line in trouble_lines(daemons):
        click.echo(f"  {line}")  # whole, whatever the table cut
    for d in daemons:
        # a daemon waiting for something a person must do says so whole, whatever the table cut
        if str(d.get("progress", "")).startswith(("waiting:", "paused:")):
            click.echo(f"  {d.get('name')}: {d['progress']}")
    for conflict in state.get("conflicts", []):
        click.echo(f"  conflict on {conflict.get('file')}: {conflict.get('waiting')} waits for {conflict.get('holder')}")
    for event in state.get("events", [])[-5:]:
        click.echo(f"  {event}")
