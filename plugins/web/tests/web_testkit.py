"""Helpers for the web plugin's tests: ``kin web`` as a real process, plain HTTP requests, screenshot checks."""
from __future__ import annotations

import http.client
import os
import re
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

from shadeos_core.testing import kill_group, wait_for

__all__ = ["WebServer", "request", "png_is_blank", "PLUGINS"]

PLUGINS = Path(__file__).resolve().parent / "plugins"


class WebServer:
    """``kin web --port 0`` started in ``project``; :attr:`url` carries the token it printed."""

    def __init__(self, project: Path, env: dict[str, str] | None = None, *args: str) -> None:
        self.project = project
        self.out_path = project.parent / f"web.{os.getpid()}.{id(self)}.out"
        with open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "shadeos_core", "web", "--port", "0", *args],
                                         cwd=project, env={**os.environ, **(env or {})}, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.url = wait_for(self._printed_url, 30, lambda: f"kin web's address (output: {self.output!r})")
        found = re.match(r"http://([^/]+):(\d+)/\?token=(\S+)", self.url)
        assert found, self.url
        self.host, self.port, self.token = found.group(1), int(found.group(2)), found.group(3)
        self.base = f"http://{self.host}:{self.port}"

    @property
    def output(self) -> str:
        return self.out_path.read_text(errors="replace")

    def _printed_url(self) -> str | None:
        if self.proc.poll() is not None:
            raise AssertionError(f"kin web exited {self.proc.returncode}: {self.output}")
        found = re.search(r"http://\S+\?token=\S+", self.output)
        return found.group(0) if found else None

    def cookie(self) -> str:
        return f"kin_web_token_{self.port}={self.token}"

    def stop(self) -> int:
        """Ctrl+C, then the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=20)
        finally:
            kill_group(self.proc)


def request(server: WebServer, method: str, path: str, *, body: str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One plain HTTP request to ``server``: (status, headers, body text)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=20)
    try:
        sent = {"Host": f"{server.host}:{server.port}", **(headers or {})}
        if body is not None:
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        conn.close()


def png_is_blank(data: bytes) -> bool:
    """Whether a PNG (8-bit RGB or RGBA, as Chromium writes them) is one flat colour."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, colour = header[:4]
    assert depth == 8 and colour in (2, 6), f"unexpected PNG format {header}"
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows = _unfilter(raw, stride, channels, height)
    first = rows[0][:channels]
    return all(row == first * width for row in rows)


def _unfilter(raw: bytes, stride: int, bpp: int, height: int) -> list[bytes]:
    rows: list[bytes] = []
    previous = bytearray(stride)
    pos = 0
    for _ in range(height):
        kind, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return rows


def team_toml(name: str, daemons: dict[str, dict[str, Any]], **team: Any) -> str:
    """A team of ``command`` daemons with fast timings."""
    import json

    lines = ["[team]", f"name = {json.dumps(name)}", 'cycle = "0.2s"', 'stop_timeout = "5s"',
             *(f"{k} = {json.dumps(v)}" for k, v in team.items())]
    for dname, body in daemons.items():
        lines.append(f"[daemons.{dname}]")
        settings = {"type": "command", "heartbeat": "0.5s", "start_seconds": "0.3s", "every": "1h", **body}
        lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    return "\n".join(lines) + "\n"
