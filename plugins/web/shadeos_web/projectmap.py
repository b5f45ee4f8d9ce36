"""What the Map page reads: ``kin map --json`` (the map plugin's published output), run in the workspace.

The map plugin keeps a cache, so a run on an unchanged tree is quick; the answer is kept a few seconds so
that reloading the page does not count the project again.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any

from shadeos_core.errors import KinError

__all__ = ["ProjectMap"]

FRESH_S = 5.0


class ProjectMap:
    """The map of one workspace, as ``kin map --json`` gives it, remembered :data:`FRESH_S` seconds."""

    def __init__(self, cwd: str, timeout: float = 120.0) -> None:
        self.cwd = cwd
        self.timeout = timeout
        self._lock = threading.Lock()
        self._last: tuple[float, dict[str, Any]] | None = None
        self._key: object = None

    def get(self, key: object = None) -> dict[str, Any]:
        """The map; measured again after :data:`FRESH_S` seconds, or at once when ``key`` (what identifies the
        map's own files) differs from the last call's."""
        with self._lock:
            if (self._last is not None and self._key == key
                    and time.monotonic() - self._last[0] < FRESH_S):
                return self._last[1]
            data = self._run()
            self._last, self._key = (time.monotonic(), data), key
            return data

    def _run(self) -> dict[str, Any]:
        try:
            out = subprocess.run([sys.executable, "-m", "shadeos_core", "map", "--json"], cwd=self.cwd,
                                 capture_output=True, timeout=self.timeout, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise KinError(f"kin map --json did not answer: {exc}") from None
        if out.returncode != 0:
            lines = out.stderr.decode(errors="replace").strip().splitlines()
            raise KinError(f"kin map --json failed: {lines[-1] if lines else f'exit {out.returncode}'}")
        try:
            data = json.loads(out.stdout)
        except ValueError:
            raise KinError("kin map --json printed something that is not JSON") from None
        if not isinstance(data, dict):
            raise KinError("kin map --json printed something that is not an object")
        return data


def tree(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the tree: each directory (with its total) before its files, indented by depth."""
    totals: dict[str, int] = {}
    for f in files:
        parts = str(f.get("path", "")).split("/")
        tokens = f.get("tokens") if isinstance(f.get("tokens"), int) else 0
        for depth in range(1, len(parts)):
            key = "/".join(parts[:depth])
            totals[key] = totals.get(key, 0) + int(tokens or 0)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for f in sorted(files, key=lambda f: str(f.get("path", "")).split("/")):
        parts = str(f.get("path", "")).split("/")
        for depth in range(1, len(parts)):
            key = "/".join(parts[:depth])
            if key not in seen:
                seen.add(key)
                rows.append({"dir": True, "name": parts[depth - 1] + "/", "depth": depth - 1, "tokens": totals[key]})
        rows.append({"dir": False, "name": parts[-1], "path": f.get("path"), "depth": len(parts) - 1,
                     "tokens": f.get("tokens"), "level": f.get("level"), "size": f.get("size")})
    return rows
