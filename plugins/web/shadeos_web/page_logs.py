"""The Logs page (``/logs``): the files under ``.kin/logs/`` (each daemon's log and output), a tail of one, and
following it live (SSE: new lines as they are written; a rotated file is followed from its start)."""
from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from .live import sse
from .rendering import redact
from .site import Site

__all__ = ["routes", "tail"]

TAIL_LINES = 200
_TAIL_BYTES = 256 * 1024
_CHUNK = 64 * 1024


def _logs(site: Site) -> Path:
    return site.workspace.kin_dir / "logs"


def log_files(site: Site) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    try:
        entries = sorted(os.scandir(_logs(site)), key=lambda e: e.name)
    except OSError:
        return rows
    for entry in entries:
        if entry.is_file(follow_symlinks=False):
            st = entry.stat(follow_symlinks=False)
            rows.append({"name": entry.name, "size": st.st_size, "mtime": st.st_mtime})
    return rows


def log_path(site: Site, name: str) -> Path | None:
    """The file ``name`` directly under ``.kin/logs/`` (no other path is ever served)."""
    if not name or "/" in name or name in (".", "..") or "\0" in name:
        return None
    path = _logs(site) / name
    return path if path.is_file() and not path.is_symlink() else None


def tail(path: Path, lines: int = TAIL_LINES) -> tuple[str, int]:
    """The last ``lines`` lines of ``path`` and the offset its end had."""
    with open(path, "rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, end - _TAIL_BYTES))
        data = handle.read(end - handle.tell())
    text = data.decode("utf-8", errors="replace").splitlines()[-lines:]
    return "\n".join(redact(line) for line in text), end


def routes(site: Site) -> list[BaseRoute]:
    def index(request: Request) -> Response:
        return site.page(request, "logs.html", title="Logs", files=log_files(site))

    def one(request: Request) -> Response:
        name = request.path_params["name"]
        path = log_path(site, name)
        if path is None:
            return PlainTextResponse(f"no log {name!r} in .kin/logs/", 404)
        text, end = tail(path)
        return site.page(request, "log.html", title=name, name=name, text=text, end=end,
                         follow=request.query_params.get("follow") == "1")

    async def follow(request: Request) -> Response:
        name = request.path_params["name"]
        path = log_path(site, name)
        if path is None:
            return PlainTextResponse(f"no log {name!r} in .kin/logs/", 404)
        try:
            offset = int(request.query_params.get("from", "0"))
        except ValueError:
            offset = 0
        return StreamingResponse(_lines(path, offset, site.watcher.interval), media_type="text/event-stream",
                                 headers={"cache-control": "no-store"})

    return [Route("/logs", index), Route("/logs/{name}", one), Route("/logs/{name}/follow", follow)]


async def _lines(path: Path, offset: int, interval: float) -> AsyncIterator[str]:
    pending = b""
    idle = 0.0
    while True:
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0
        if size < offset:  # rotated or truncated: the new file from its start
            offset, pending = 0, b""
        if size > offset:
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read(min(size - offset, _CHUNK))
            offset += len(data)
            pending += data
            *complete, pending = pending.split(b"\n")
            for line in complete:
                yield sse("line", redact(line.decode("utf-8", errors="replace")))
            idle = 0.0
            continue
        idle += interval
        if idle >= 15:
            idle = 0.0
            yield ": keepalive\n\n"
        await asyncio.sleep(interval)
