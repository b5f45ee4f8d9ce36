"""What every page of the dashboard shares: the kernel, the templates, the watcher, and how answers are made.

Pages read with plain (sync) functions run on Starlette's thread pool; changes are :func:`action` endpoints:
a POST whose urlencoded form is handed to a function that returns a one-line message, or raises a
:class:`~shadeos_core.KinError` (or ``ValueError``) whose one line the page shows, as the CLI would print it.
"""
from __future__ import annotations

import subprocess
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from shadeos_core.errors import KinError

from .rendering import Templates

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel
    from shadeos_core.workspace import Workspace

    from .live import Watcher

__all__ = ["Site", "action", "Form", "MAX_FORM_BYTES"]

MAX_FORM_BYTES = 1 << 20
Form = dict[str, str]

#: The pages, in the order of the navigation bar: (path, title).
NAV = [("/", "Team"), ("/agents", "Agents"), ("/mission", "Mission"), ("/map", "Map"), ("/tasks", "Tasks"),
       ("/memory", "Memory"), ("/actions", "Actions"), ("/luciorbes", "Luciorbes"), ("/logs", "Logs")]


@dataclass
class Site:
    """The dashboard of one workspace."""

    kernel: Kernel
    cwd: str
    csrf: str
    watcher: Watcher
    templates: Templates = field(init=False)
    #: teams started from the page: reaped as they end (they run on after the server stops)
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    #: the archive is opened once per process; its hooks are called one at a time
    memory_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.templates = Templates(nav=NAV, csrf=self.csrf)

    @property
    def workspace(self) -> Workspace:
        return self.kernel.workspace

    def page(self, request: Request, template: str, *, title: str, **context: Any) -> HTMLResponse:
        html = self.templates.render(template, request=request, title=title, path=request.url.path,
                                     root=str(self.workspace.root), **context)
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    def fragment(self, template: str, **context: Any) -> str:
        return self.templates.render(template, **context)

    def reap(self) -> None:
        self.started = [proc for proc in self.started if proc.poll() is None]


def action(fn: Callable[[Site, Request, Form], str], site: Site) -> Callable[[Request], Awaitable[Response]]:
    """A POST endpoint doing ``fn(site, request, form)`` on the thread pool: ``{"ok", "message"}``, or
    ``{"error"}`` (one line) with status 400."""

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return JSONResponse({"error": f"the form is too large (more than {MAX_FORM_BYTES} bytes)"}, 413)
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return JSONResponse({"error": "the form is not UTF-8"}, 400)
        try:
            message = await run_in_threadpool(fn, site, request, form)
        except (KinError, ValueError) as exc:
            return JSONResponse({"error": one_line(exc)}, 400)
        return JSONResponse({"ok": True, "message": message})

    return endpoint


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
