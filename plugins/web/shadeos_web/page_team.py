"""The Team page (``/``): every daemon live, the phase, recent events, and the controls."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .controls import restart_daemon, start_daemon, start_team, stop_daemon, stop_team
from .site import Form, Site, action
from .team import phase_view, startable_teams, team_view

__all__ = ["routes", "fragment"]


def fragment(site: Site, request: Request) -> str:
    """The live part of the page."""
    site.reap()
    return site.fragment("team_live.html", states=team_view(site.workspace), phase=phase_view(site.workspace))


def routes(site: Site) -> list[BaseRoute]:
    def page(request: Request) -> Response:
        return site.page(request, "team.html", title="Team", live=fragment(site, request), view="team",
                         teams=startable_teams(site.kernel, site.cwd))

    def stop(s: Site, request: Request, form: Form) -> str:
        return stop_daemon(s.workspace, request.path_params["team"], request.path_params["name"])

    def start_one(s: Site, request: Request, form: Form) -> str:
        return start_daemon(s.workspace, request.path_params["team"], request.path_params["name"])

    def restart(s: Site, request: Request, form: Form) -> str:
        return restart_daemon(s.workspace, request.path_params["team"], request.path_params["name"])

    def stop_all(s: Site, request: Request, form: Form) -> str:
        return stop_team(s.workspace, request.path_params["team"])

    def start(s: Site, request: Request, form: Form) -> str:
        name = form.get("team", "").strip()
        if not name:
            raise ValueError("choose a team to start")
        return start_team(s.kernel, s.cwd, name, s.started)

    return [Route("/", page),
            Route("/teams/{team}/daemons/{name}/stop", action(stop, site), methods=["POST"]),
            Route("/teams/{team}/daemons/{name}/restart", action(restart, site), methods=["POST"]),
            Route("/teams/{team}/daemons/{name}/start", action(start_one, site), methods=["POST"]),
            Route("/teams/{team}/stop", action(stop_all, site), methods=["POST"]),
            Route("/teams/start", action(start, site), methods=["POST"])]
