"""The Actions page (``/actions``): the performance table, the collaboration graph drawn, the suggestions with
their evidence, from the actions plugin's ``actions_report`` hook (absent: how to install it); live while the
plugin's meta-daemon keeps its report (``.kin/actions/report.json``) current."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .graph import layout
from .site import Site, one_line

__all__ = ["routes", "report", "fragment", "watched"]

INSTALL = "pip install shadeos-actions (in this repository: pip install -e plugins/actions)"
#: ``?since=`` choices: label -> seconds back (None: everything recorded)
WINDOWS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0, "all": None}


def report(site: Site, since: float | None) -> dict[str, Any] | None:
    """The first report an ``actions_report`` implementation gives, or ``None``."""
    answers = site.kernel.hooks.call("actions_report", workspace=site.workspace, since=since)
    for answer in answers if isinstance(answers, list) else [answers]:
        if isinstance(answer, dict):
            return answer
    return None


def _rows(value: Any) -> list[dict[str, Any]]:
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def watched(kin_dir: Path) -> list[Path]:
    """What changes when the analysis does: the report the actions meta-daemon rewrites."""
    return [kin_dir / "actions" / "report.json"]


def _window(request: Request) -> str:
    window = request.query_params.get("since", "24h")
    return window if window in WINDOWS else "24h"


def fragment(site: Site, request: Request) -> str:
    """The live part of the page, for the window ``?since=`` names."""
    installed = site.kernel.hooks.has("actions_report")
    window = _window(request)
    back = WINDOWS[window]
    data: dict[str, Any] | None = None
    error = None
    if installed:
        try:
            data = report(site, None if back is None else time.time() - back)
        except Exception as exc:  # noqa: BLE001 - another plugin's failure is shown, never a crash
            error = f"the actions plugin failed: {type(exc).__name__}: {one_line(exc)}"
    data = data or {}
    raw_graph = data.get("graph")
    graph: dict[str, Any] = raw_graph if isinstance(raw_graph, dict) else {}
    return site.fragment("actions_live.html", installed=installed, install=INSTALL, error=error, window=window,
                         windows=list(WINDOWS), has_report=bool(data), performance=_rows(data.get("performance")),
                         insights=_rows(data.get("insights")), drawing=layout(graph),
                         graph_edges=_rows(graph.get("edges")))


def routes(site: Site) -> list[BaseRoute]:
    def page(request: Request) -> Response:
        return site.page(request, "actions.html", title="Actions", live=fragment(site, request),
                         window=_window(request))

    return [Route("/actions", page)]
