"""The Map page (``/map``): the project tree with token sizes and levels, the warnings, the phase; live while a
map daemon keeps the map (its cache and ``phase.json`` change, and the page follows)."""
from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from shadeos_core.errors import KinError

from .live import signature
from .projectmap import ProjectMap, tree
from .site import Site, one_line
from .team import phase_view

__all__ = ["routes", "fragment", "watched"]

_MAPS: dict[str, ProjectMap] = {}


def watched(kin_dir: Path) -> list[Path]:
    """What changes when the map does: the map daemon's token cache and the phase it publishes."""
    return [kin_dir / "state" / "map-cache.json", kin_dir / "state" / "phase.json"]


def fragment(site: Site, request: Request) -> str:
    """The live part of the page: measured again only when the map's own files changed since the last look."""
    phase = phase_view(site.workspace)
    if not site.kernel.hooks.has("count_tokens"):
        return site.fragment("map_live.html", missing=True, map=None, rows=[], error=None, phase=phase)
    maps = _MAPS.setdefault(site.cwd, ProjectMap(site.cwd))
    try:
        data = maps.get(key=signature(watched(site.workspace.kin_dir)))
        error = None
    except KinError as exc:
        data, error = {}, one_line(exc)
    files = [f for f in data.get("files", []) if isinstance(f, dict)]
    return site.fragment("map_live.html", missing=False, map=data, rows=tree(files), error=error, phase=phase)


def routes(site: Site) -> list[BaseRoute]:
    def page(request: Request) -> Response:
        return site.page(request, "map.html", title="Map", live=fragment(site, request))

    return [Route("/map", page)]
