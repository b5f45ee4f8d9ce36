"""Turning a scanner's state into the files others read: the phase file and the Markdown map."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from shadeos_core.fsio import atomic_write_text

from .model import ProjectMap
from .phase import EXPANSION, next_phase, publish_phase, read_phase
from .render import render_markdown
from .scanner import MapScanner

__all__ = ["publish", "preview"]


def preview(scanner: MapScanner) -> ProjectMap:
    """The map with the phase it would have now, without writing anything."""
    config = scanner.config
    current = scanner.snapshot(EXPANSION)
    record = read_phase(scanner.workspace)
    current.phase = next_phase(record["phase"] if record else None, current.ratio,
                               converge_at=config.converge_at, expand_below=config.expand_below)
    return current


def publish(scanner: MapScanner, *, emit: Callable[[dict[str, Any]], None] | None = None) -> tuple[ProjectMap, Path]:
    """Write ``phase.json`` (calling ``emit`` on a phase change) and the Markdown map; return both."""
    config = scanner.config
    current = scanner.snapshot(EXPANSION)
    current.phase, _ = publish_phase(scanner.workspace, current.total_tokens, config.budget,
                                     converge_at=config.converge_at, expand_below=config.expand_below, emit=emit)
    output = scanner.workspace.inside(config.output, what="[map] output")
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output, render_markdown(current, converge_at=config.converge_at,
                                              expand_below=config.expand_below))
    return current, output
