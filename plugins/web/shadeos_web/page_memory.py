"""The Memory page (``/memory``): search, one memory with its links both ways, forget.

Through the archivist's hooks only (``memory_search``, ``memory_get``, ``memory_forget``); without the
archivist the page says how to install it.
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from shadeos_core.errors import KinError, UsageError

from .site import Form, Site, action, one_line

__all__ = ["routes"]

LIMIT = 50
INSTALL = "pip install shadeos-archivist (in this repository: pip install -e plugins/archivist)"


def _call(site: Site, hook: str, **kwargs: Any) -> Any:
    if not site.kernel.hooks.has(hook):
        raise KinError(f"memory needs the archivist, which is not installed ({hook} has no implementation)",
                       hint=INSTALL)
    with site.memory_lock:
        return site.kernel.hooks.call(hook, workspace=site.workspace, **kwargs)


def routes(site: Site) -> list[BaseRoute]:
    def search(request: Request) -> Response:
        query = request.query_params.get("q", "").strip()
        stratum = request.query_params.get("stratum", "").strip() or None
        namespace = request.query_params.get("namespace", "").strip() or None
        results: list[dict[str, Any]] = []
        error = None
        installed = site.kernel.hooks.has("memory_search")
        if query and installed:
            try:
                results = _call(site, "memory_search", query=query, strata=[stratum] if stratum else None,
                                namespace=namespace, limit=LIMIT) or []
            except (KinError, ValueError) as exc:
                error = one_line(exc)
        return site.page(request, "memory.html", title="Memory", query=query, stratum=stratum or "",
                         namespace=namespace or "", results=results, error=error, installed=installed,
                         install=INSTALL)

    def one(request: Request) -> Response:
        memory_id = request.path_params["memory"]
        error = None
        memory = None
        try:
            memory = _call(site, "memory_get", memory_id=memory_id) if site.kernel.hooks.has("memory_get") else None
            if not site.kernel.hooks.has("memory_get"):
                error = f"this archivist cannot show one memory (no memory_get hook): {INSTALL}"
        except (KinError, ValueError) as exc:
            error = one_line(exc)
        links = memory.get("links", []) if isinstance(memory, dict) else []
        return site.page(request, "memory_one.html", title=f"memory {memory_id}", memory_id=memory_id,
                         memory=memory, error=error, outgoing=[e for e in links if e.get("source") == memory_id],
                         incoming=[e for e in links if e.get("target") == memory_id],
                         can_forget=site.kernel.hooks.has("memory_forget"))

    def forget(s: Site, request: Request, form: Form) -> str:
        memory_id = request.path_params["memory"]
        if not _call(s, "memory_forget", memory_id=memory_id):
            raise UsageError(f"no memory {memory_id!r}", hint="search for it on the Memory page")
        return f"forgot memory {memory_id} and its links"

    return [Route("/memory", search), Route("/memory/{memory}", one),
            Route("/memory/{memory}/forget", action(forget, site), methods=["POST"])]
