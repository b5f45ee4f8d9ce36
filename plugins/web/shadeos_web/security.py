"""The guard in front of every request: the token, the Host header, and changes only by POST with a CSRF token.

As Jupyter does, ``kin web`` prints ``http://127.0.0.1:PORT/?token=…``. The first request carrying
``?token=`` gets the token in a cookie (HttpOnly, SameSite=Strict, named for the port since cookies are not
port-bound) and is redirected to the same address without it; every later request must carry the cookie. A
request without a valid token is refused (401). A change is a POST that carries, besides the cookie, the
page's CSRF token in the ``X-Kin-CSRF`` header (a value derived from the token, so the page never holds the
token itself); GET and HEAD change nothing, other methods are refused (405). A Host header that is not this
machine's loopback name and port is refused (403), which stops DNS rebinding; ``--expose`` lifts that check
only (the token is still required).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["Guard", "new_token", "csrf_for", "cookie_name", "CSRF_HEADER"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_HEADER = "x-kin-csrf"
_SAFE = ("GET", "HEAD")
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def new_token() -> str:
    """A fresh random token (what ``kin web`` prints with its URL)."""
    return secrets.token_urlsafe(32)


def csrf_for(token: str) -> str:
    """The CSRF token a page carries: derived from ``token``, useless without the cookie."""
    return hmac.new(token.encode(), b"kin-web-csrf", hashlib.sha256).hexdigest()


def cookie_name(port: int) -> str:
    return f"kin_web_token_{port}"


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _cookies(headers: dict[bytes, bytes]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out[name] = value
    return out


class Guard:
    """ASGI middleware admitting only requests with the token (see the module doc)."""

    def __init__(self, app: ASGIApp, *, token: str, port: Callable[[], int], expose: bool = False) -> None:
        self.app = app
        self.token = token
        self.csrf = csrf_for(token)
        self.port = port
        self.expose = expose

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets here
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        port = self.port()
        if not self.expose and not self._host_ok(headers.get(b"host", b"").decode("latin-1"), port):
            await _plain(send, 403, "kin web: refused: unknown Host header (open the address kin web printed)")
            return
        method = scope.get("method", "GET")
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = dict(query).get("token")
        if given is not None and method in _SAFE:
            if not _same(given, self.token):
                await _plain(send, 401, "kin web: wrong token (open the address kin web printed)")
                return
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope.get("path", "/") + (f"?{rest}" if rest else "")
            cookie = f"{cookie_name(port)}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            await _respond(send, 303, b"", [(b"location", location.encode()), (b"set-cookie", cookie.encode())])
            return
        if not _same(_cookies(headers).get(cookie_name(port)), self.token):
            await _plain(send, 401, "kin web: this page needs the token kin web printed with its address "
                                    "(http://127.0.0.1:PORT/?token=…)")
            return
        if method not in _SAFE:
            if method != "POST":
                await _plain(send, 405, "kin web: only GET and POST are served")
                return
            if not _same(headers.get(CSRF_HEADER.encode(), b"").decode("latin-1") or None, self.csrf):
                await _plain(send, 403, "kin web: refused: a change needs the page's CSRF token (reload the page)")
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _host_ok(host: str, port: int) -> bool:
        return host in {f"{name}:{port}" for name in _LOOPBACK}


async def _plain(send: Send, status: int, text: str) -> None:
    await _respond(send, status, (text + "\n").encode(), [(b"content-type", b"text/plain; charset=utf-8")])


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})
