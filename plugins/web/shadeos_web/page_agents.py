"""The Agents page (``/agents``): each agent's cycles, newest first, with the diff of each commit, and the role
prompt it runs with, editable."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from shadeos_core.workspace import check_name

from .agents import agent_ids, agent_status, commit_diff, history, role_prompt, save_prompt
from .site import Form, Site, action

__all__ = ["routes", "fragment"]

#: Cycles whose diff is shown open on the page (older ones: behind a click, still on the page).
DIFFS = 20


def fragment(site: Site, request: Request) -> str:
    agent = request.query_params.get("agent")
    if not agent:
        rows = [{"id": a, **agent_status(site.workspace, a)} for a in agent_ids(site.workspace)]
        return site.fragment("agents_live.html", agents=rows)
    return _agent(site, check_name(agent, what="agent id"))


def routes(site: Site) -> list[BaseRoute]:
    def index(request: Request) -> Response:
        return site.page(request, "agents.html", title="Agents", live=fragment(site, request), stream="/live/agents")

    def one(request: Request) -> Response:
        daemon_id = check_name(request.path_params["agent"], what="agent id")
        prompt = role_prompt(site.kernel, site.cwd, daemon_id)
        return site.page(request, "agent.html", title=daemon_id, agent=daemon_id, prompt=prompt,
                         live=_agent(site, daemon_id), stream=f"/live/agents?agent={daemon_id}")

    def save(s: Site, request: Request, form: Form) -> str:
        daemon_id = check_name(request.path_params["agent"], what="agent id")
        written = save_prompt(s.kernel, s.cwd, daemon_id, form.get("text", ""))
        return f"saved {written}: the agent uses it from its next cycle"

    return [Route("/agents", index), Route("/agents/{agent}", one),
            Route("/agents/{agent}/prompt", action(save, site), methods=["POST"])]



def _agent(site: Site, daemon_id: str) -> str:
    cycles = history(site.workspace, daemon_id)
    for i, cycle in enumerate(cycles):
        cycle["diff"] = commit_diff(site.workspace.root, cycle["commit"]) if cycle["commit"] and i < DIFFS else ""
    return site.fragment("agent_live.html", agent=daemon_id, status=agent_status(site.workspace, daemon_id),
                         cycles=cycles)
