"""The Luciorbes page (``/luciorbes``): the heartbeats daemons leave, by directory, with their liveness.

Found through the records each daemon keeps (``.kin/run/luciorbes/<daemon_id>.json``, the core's
``luciorbe_record``), so the tree is never walked; each luciorbe is read and judged by the core's rules.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from shadeos_core.luciorbe import MalformedLuciorbe, liveness, read_luciorbe
from shadeos_core.luciorbe_record import read_records

from .site import Site

__all__ = ["routes", "fragment", "by_directory"]


def by_directory(site: Site) -> dict[str, list[dict[str, Any]]]:
    """``{directory (relative): [luciorbe as a dict with "liveness" and "age"]}``, sorted."""
    now = time.time()
    found: dict[str, list[dict[str, Any]]] = {}
    for record in read_records(site.workspace):
        for raw in record.paths:
            path = Path(raw)
            try:
                relative = site.workspace.relative(path.parent)
            except Exception:  # noqa: BLE001 - a record naming a path outside the workspace is shown as such
                relative = str(path.parent)
            try:
                luc = read_luciorbe(path)
            except FileNotFoundError:
                continue
            except MalformedLuciorbe as exc:
                found.setdefault(relative, []).append({"daemon_id": record.daemon_id, "liveness": "malformed",
                                                       "notes": str(exc)})
                continue
            entry = luc.to_json()
            entry["liveness"] = liveness(luc, now=now)
            try:
                entry["age"] = luc.age(now)
            except ValueError:
                entry["age"] = None
            found.setdefault(relative, []).append(entry)
    return dict(sorted(found.items()))


def fragment(site: Site, request: Request) -> str:
    return site.fragment("luciorbes_live.html", directories=by_directory(site))


def routes(site: Site) -> list[BaseRoute]:
    def page(request: Request) -> Response:
        return site.page(request, "luciorbes.html", title="Luciorbes", live=fragment(site, request),
                         stream="/live/luciorbes")

    return [Route("/luciorbes", page)]
