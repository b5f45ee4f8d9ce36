"""The ASGI application: the pages, the live stream, the static files, all behind :class:`~.security.Guard`."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from . import (
    page_actions,
    page_agents,
    page_logs,
    page_luciorbes,
    page_map,
    page_memory,
    page_mission,
    page_tasks,
    page_team,
)
from .live import Watcher
from .security import Guard, csrf_for
from .site import Site

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel
    from shadeos_core.workspace import Workspace

__all__ = ["create_app", "topics"]

STATIC = Path(__file__).resolve().parent / "static"
Fragment = Callable[[Site, Request], str]


def topics(workspace: Workspace) -> dict[str, Callable[[], Iterable[Path]]]:
    """The paths each live topic follows (nothing is created: a missing path is a state like another)."""
    kin = workspace.kin_dir

    def agents() -> list[Path]:
        root = kin / "agents"
        found = [root]
        with contextlib.suppress(OSError):
            found += [p / "history.jsonl" for p in sorted(root.iterdir()) if p.is_dir()]
        return found

    return {"team": lambda: [kin / "run" / "teams", kin / "state" / "phase.json"],
            "tasks": lambda: [kin / "tasks" / d for d in ("new", "claimed", "done", "failed")],
            "agents": agents,
            "luciorbes": lambda: [kin / "run" / "luciorbes"],
            "memory": lambda: [kin / "memory" / "journal.jsonl"],
            "map": lambda: page_map.watched(kin),
            "actions": lambda: page_actions.watched(kin)}


#: The pages that follow changes: view -> (topics, the fragment to render again).
LIVE: dict[str, tuple[tuple[str, ...], Fragment]] = {
    "team": (("team",), page_team.fragment),
    "tasks": (("tasks", "team"), page_tasks.fragment),
    "agents": (("agents", "team"), page_agents.fragment),
    "luciorbes": (("luciorbes",), page_luciorbes.fragment),
    "map": (("map",), page_map.fragment),
    "actions": (("actions",), page_actions.fragment),
}


def create_app(kernel: Kernel, *, cwd: str, token: str, port: Callable[[], int], expose: bool = False,
               interval: float = 0.2) -> Guard:
    """The dashboard of ``kernel``'s workspace; ``port()`` tells the port it is served on (for the Host check)."""
    watcher = Watcher(topics(kernel.workspace), interval=interval)
    site = Site(kernel=kernel, cwd=cwd, csrf=csrf_for(token), watcher=watcher)

    async def live(request: Request) -> Response:
        view = request.path_params["view"]
        if view not in LIVE:
            return PlainTextResponse(f"no live view {view!r}", 404)
        topic_names, fragment = LIVE[view]

        async def render() -> str:
            return await run_in_threadpool(fragment, site, request)

        async def never() -> bool:
            return False  # the response ends the stream itself when the browser goes away

        return StreamingResponse(watcher.follow(topic_names, render, never), media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    routes: list[BaseRoute] = [Route("/live/{view}", live), Mount("/static", StaticFiles(directory=STATIC))]
    for module in (page_team, page_agents, page_mission, page_map, page_tasks, page_memory, page_actions,
                   page_luciorbes, page_logs):
        routes += module.routes(site)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(watcher.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.site = site
    return Guard(app, token=token, port=port, expose=expose)
