"""The Map page (``/map``): the project tree with token sizes and levels, the warnings, the phase."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from shadeos_core.errors import KinError

from .projectmap import ProjectMap, tree
from .site import Site, one_line
from .team import phase_view

__all__ = ["routes"]


def routes(site: Site) -> list[BaseRoute]:
    maps = ProjectMap(site.cwd)

    def page(request: Request) -> Response:
        if not site.kernel.hooks.has("count_tokens"):
            return site.page(request, "map.html", title="Map", missing=True, map=None, rows=[], error=None,
                             phase=phase_view(site.workspace))
        try:
            data = maps.get()
            error = None
        except KinError as exc:
            data, error = {}, one_line(exc)
        files = [f for f in data.get("files", []) if isinstance(f, dict)]
        return site.page(request, "map.html", title="Map", missing=False, map=data, rows=tree(files), error=error,
                         phase=phase_view(site.workspace))

    return [Route("/map", page)]
