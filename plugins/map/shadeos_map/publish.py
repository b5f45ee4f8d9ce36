"""Turning a scanner's state into the files others read: the phase file and the Markdown map."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shadeos_core.fsio import atomic_write_json, atomic_write_text, read_json

from .model import ProjectMap
from .phase import EXPANSION, next_phase, publish_phase, read_phase
from .render import render_digest, render_markdown
from .scanner import MapScanner

__all__ = ["publish", "preview", "RENDERED"]

#: Under ``.kin/state/``: the digest of the map last written and the stamp of the file it went to.
RENDERED = "map-rendered.json"


def preview(scanner: MapScanner) -> ProjectMap:
    """The map with the phase it would have now, without writing anything."""
    config = scanner.config
    current = scanner.snapshot(EXPANSION)
    record = read_phase(scanner.workspace)
    current.phase = next_phase(record["phase"] if record else None, current.ratio,
                               converge_at=config.converge_at, expand_below=config.expand_below)
    return current


def publish(scanner: MapScanner, *, emit: Callable[[dict[str, Any]], None] | None = None) -> tuple[ProjectMap, Path]:
    """Write ``phase.json`` (calling ``emit`` on a phase change) and the Markdown map; return both.

    The Markdown map is rendered and rewritten only when what it shows changed
    (or the file was edited or removed since): an unchanged tree leaves it,
    and its ``Generated`` time, as they are.
    """
    config = scanner.config
    current = scanner.snapshot(EXPANSION)
    current.phase, _ = publish_phase(scanner.workspace, current.total_tokens, config.budget,
                                     converge_at=config.converge_at, expand_below=config.expand_below, emit=emit)
    output = scanner.workspace.inside(config.output, what="[map] output")
    digest = render_digest(current, converge_at=config.converge_at, expand_below=config.expand_below)
    record_path = scanner.workspace.state_dir("state") / RENDERED
    key = {"digest": digest, "output": str(output)}
    if _written(record_path, output) == key:
        return current, output
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output, render_markdown(current, converge_at=config.converge_at,
                                              expand_below=config.expand_below))
    stamp = _stamp(output)
    if stamp is not None:
        atomic_write_json(record_path, {**key, "stamp": stamp}, indent=None)
    return current, output


def _stamp(path: Path) -> list[int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def _written(record_path: Path, output: Path) -> dict[str, Any] | None:
    """What the last write recorded, if ``output`` is still the very file it wrote."""
    try:
        record = read_json(record_path)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.pop("stamp", None) != _stamp(output):
        return None
    return record
