"""Printing for commands: JSON for scripts, rich tables for people."""
from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from ..text import shown

__all__ = ["print_json", "print_table", "fit_columns", "console", "err", "tokens_cell", "shown"]


def print_json(value: Any) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    try:
        text.encode(sys.stdout.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        # a file name of bytes that are not UTF-8 (or a terminal that cannot show a character): escaped JSON
        text = json.dumps(value, indent=2, ensure_ascii=True, default=str)
    sys.stdout.write(text + "\n")


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def fit_columns(table: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, short: int = 12,
                width: int | None = None) -> None:
    """Add ``columns`` to a rich ``table`` so it reads well on a narrow terminal.

    Columns whose cells are all short, and a first column (the row's name) of up to
    40 cells, keep their full width; the long ones share what is left of the
    terminal: a long first column folds, the others stay on one line and end in
    an ellipsis (``--json`` always has the full values).
    """
    from rich.text import Text

    widths = [max([len(c), *(Text.from_markup(str(r[i])).cell_len for r in rows if i < len(r) and r[i] is not None)])
              for i, c in enumerate(columns)]
    total = width or console().width
    # the first column names the row (an id, a path people copy): whole up to 40 cells, folded beyond
    long = [i for i, w in enumerate(widths) if w > (40 if i == 0 else short)]
    spare = total - sum(w for i, w in enumerate(widths) if i not in long) - 3 * len(columns) - 2
    wanted = sum(widths[i] for i in long) or 1
    for index, column in enumerate(columns):
        if index not in long:
            table.add_column(column, no_wrap=True, min_width=widths[index])
            continue
        # long columns share what is left in proportion to their content, never wider than it
        share = min(widths[index], max(8, spare * widths[index] // wanted))
        if index == 0:
            table.add_column(column, overflow="fold", width=share)
        else:
            table.add_column(column, no_wrap=True, overflow="ellipsis", width=share)


def print_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> None:
    from rich.table import Table

    table = Table(title=title, show_edge=False, header_style="bold")
    fit_columns(table, columns, rows)
    for row in rows:
        table.add_row(*("" if cell is None else shown(cell) for cell in row))
    console().print(table)


def err(message: str) -> None:
    """One line on stderr."""
    sys.stderr.write(message.rstrip("\n") + "\n")


def tokens_cell(daemon: dict[str, Any]) -> str:
    """``in/out`` tokens of a daemon that calls a model, from the team state (empty for the others)."""
    spent = (daemon.get("input_tokens"), daemon.get("output_tokens"))
    return "" if spent == (None, None) else f"{spent[0] or 0}/{spent[1] or 0}"
