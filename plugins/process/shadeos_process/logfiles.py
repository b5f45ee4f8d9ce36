"""Log files under ``.kin/logs/``: finding them by name, reading their tail, following them."""
from __future__ import annotations

import os
import sys
import time
from collections import deque
from pathlib import Path
from typing import TextIO

from shadeos_core.errors import UsageError
from shadeos_core.workspace import Workspace, check_name

from .records import ProcessRecord, read_records

__all__ = ["tail_lines", "find_logs", "follow"]


def tail_lines(path: str | os.PathLike[str], max_lines: int) -> list[str]:
    """The last ``max_lines`` lines of a text file (empty when it does not exist)."""
    if max_lines <= 0:
        return []
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            block = 8192
            data = b""
            while size > 0 and data.count(b"\n") <= max_lines:
                step = min(block, size)
                size -= step
                handle.seek(size)
                data = handle.read(step) + data
                block *= 2
    except FileNotFoundError:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    return lines[-max_lines:]


def find_logs(workspace: Workspace, name: str) -> list[Path]:
    """Log files for ``name``: a process record name, a daemon id (``team.daemon``) or an unambiguous daemon name."""
    check_name(name, what="log name")
    logs = workspace.kin_dir / "logs"
    for _, record in read_records(workspace):
        if isinstance(record, ProcessRecord) and record.name == name:
            paths = [Path(p) for p in (record.stdout_log, record.stderr_log) if p]
            if paths:
                return [workspace.inside(p, what="log file") for p in paths]
    direct = [logs / f"{name}{suffix}" for suffix in (".log", ".out", ".err")]
    if any(p.exists() for p in direct):
        return [p for p in direct if p.exists()]
    daemon_logs = sorted(p for p in logs.glob(f"*.{name}.log") if p.is_file()) if logs.is_dir() else []
    owners = {p.name[: -len(".log")] for p in daemon_logs}
    if len(owners) > 1:
        raise UsageError(f"{name!r} is ambiguous: daemons {', '.join(sorted(owners))}",
                         hint="give the full team.daemon id")
    if owners:
        owner = owners.pop()
        return [p for p in (logs / f"{owner}{s}" for s in (".log", ".out", ".err")) if p.exists()]
    known = sorted({p.name.rsplit(".", 1)[0] for p in logs.iterdir() if p.suffix in (".log", ".out", ".err")
                    and not p.name.startswith(".")}) if logs.is_dir() else []
    raise UsageError(f"no logs named {name!r} in {logs}",
                     hint=f"known: {', '.join(known[:20])}" if known else "nothing has logged here yet")


def follow(paths: list[Path], *, out: TextIO = sys.stdout, interval: float = 0.2, prefix: bool = False,
           start: dict[Path, int] | None = None) -> None:
    """Print what is appended to ``paths`` until interrupted (``KeyboardInterrupt`` propagates)."""
    offsets = dict(start or {})
    for path in paths:
        offsets.setdefault(path, path.stat().st_size if path.exists() else 0)
    pending: dict[Path, bytes] = dict.fromkeys(paths, b"")
    while True:
        for path in paths:
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if size < offsets[path]:
                offsets[path] = 0  # truncated or replaced: start over
            if size == offsets[path]:
                continue
            with open(path, "rb") as handle:
                handle.seek(offsets[path])
                data = pending[path] + handle.read(size - offsets[path])
            offsets[path] = size
            complete, _, rest = data.rpartition(b"\n")
            pending[path] = rest
            if complete or data.endswith(b"\n"):
                for line in complete.decode("utf-8", "replace").split("\n"):
                    out.write(f"{path.name}: {line}\n" if prefix else f"{line}\n")
                out.flush()
        time.sleep(interval)


def last_lines(paths: list[Path], count: int) -> deque[tuple[Path, str]]:
    """The last ``count`` lines of each file, file by file."""
    out: deque[tuple[Path, str]] = deque()
    for path in paths:
        out.extend((path, line) for line in tail_lines(path, count))
    return out
