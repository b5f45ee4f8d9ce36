"""The Mission page (``/mission``): the mission file of each team that names one (``[team] mission``), editable."""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from shadeos_core.errors import KinError, UsageError
from shadeos_core.fsio import atomic_write_text

from .site import Form, Site, action

__all__ = ["routes", "missions"]

MAX_MISSION_BYTES = 512 * 1024


def missions(site: Site) -> list[dict[str, Any]]:
    """Each team's mission: ``team``, ``file`` (relative), ``text`` (``""`` when the file does not exist yet)."""
    try:
        teams = site.kernel.teams(cwd=site.cwd)
    except KinError:
        return []
    found = []
    for name in teams.names():
        team = teams.teams.get(name)
        if team is None or not team.mission:
            continue
        try:
            path = site.workspace.inside(team.mission, what="mission")
        except KinError as exc:
            found.append({"team": name, "file": team.mission, "text": "", "error": str(exc)})
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError) as exc:
            found.append({"team": name, "file": team.mission, "text": "", "error": f"cannot read it: {exc}"})
            continue
        found.append({"team": name, "file": site.workspace.relative(path), "text": text})
    return found


def routes(site: Site) -> list[BaseRoute]:
    def page(request: Request) -> Response:
        return site.page(request, "mission.html", title="Mission", missions=missions(site))

    def save(s: Site, request: Request, form: Form) -> str:
        team = form.get("team", "")
        chosen = [m for m in missions(s) if m["team"] == team and "error" not in m]
        if not chosen:
            raise UsageError(f"team {team!r} names no mission file here", hint='add mission = "FILE" to its [team]')
        text = form.get("text", "").replace("\r\n", "\n")
        if len(text.encode()) > MAX_MISSION_BYTES:
            raise UsageError(f"the mission is larger than {MAX_MISSION_BYTES // 1024} KiB")
        path = s.workspace.inside(chosen[0]["file"], what="mission")
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
        return f"saved {chosen[0]['file']}"

    return [Route("/mission", page), Route("/mission", action(save, site), methods=["POST"])]
