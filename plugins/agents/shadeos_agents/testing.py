"""A scripted OpenAI-compatible chat server on 127.0.0.1, for testing agents (kin's tests, and yours).

It speaks ``POST /v1/chat/completions`` in both forms the real API has: a
JSON reply, or a stream of server-sent events (``"stream": true``, with
tool-call deltas and a usage chunk when ``stream_options.include_usage``).
Agents reach it through ``llm`` as they would reach any OpenAI-compatible
endpoint: an ``extra-openai-models.yaml`` in a directory ``LLM_USER_PATH``
points at (see :func:`llm_home`).

A test scripts it with a function ``script(request) -> Reply`` (called on the
server's thread, one call per request); :class:`Request` gives the messages
and tools of a request, and every request is kept in ``server.requests``.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

__all__ = ["FakeLLM", "Reply", "Request", "call", "llm_home"]

_IDS = itertools.count(1)


@dataclass
class Reply:
    """What the server answers: ``text`` and/or ``tool_calls`` (``(name, arguments)``), or an HTTP error.

    ``delay`` holds the answer back that many seconds (a slow or hanging
    provider); ``usage`` is ``(prompt_tokens, completion_tokens)``, ``None``
    for a provider that reports none.
    """

    text: str | None = None
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    usage: tuple[int, int] | None = (100, 20)
    body: bytes | None = None


def call(name: str, **arguments: Any) -> tuple[str, dict[str, Any]]:
    return name, arguments


@dataclass
class Request:
    """One request as received: the body, the headers, and helpers to read the conversation."""

    body: dict[str, Any]
    headers: dict[str, str]
    time: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def system(self) -> str:
        return "\n".join(_text(m) for m in self.messages if m.get("role") == "system")

    @property
    def last_user(self) -> str:
        users = [m for m in self.messages if m.get("role") == "user"]
        return _text(users[-1]) if users else ""

    @property
    def tool_results(self) -> list[str]:
        """Outputs of the tool calls answered since the model's last turn (the newest results)."""
        out: list[str] = []
        for message in reversed(self.messages):
            if message.get("role") == "tool":
                out.insert(0, _text(message))
            elif message.get("role") == "assistant":
                break
        return out

    @property
    def all_tool_results(self) -> list[str]:
        return [_text(m) for m in self.messages if m.get("role") == "tool"]

    @property
    def tools(self) -> list[str]:
        return [t.get("function", {}).get("name", "") for t in self.body.get("tools", [])]

    @property
    def turns(self) -> int:
        """How many answers of the model the conversation holds already."""
        return sum(1 for m in self.messages if m.get("role") == "assistant")

    @property
    def text(self) -> str:
        """Everything the request carries, as text (to look for what must never be sent)."""
        return json.dumps(self.body, ensure_ascii=False)


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(400, {"error": {"message": "bad JSON"}})
            return
        request = Request(body, {k.lower(): v for k, v in self.headers.items()}, time.time())
        fake = self.server.fake
        with fake.lock:
            fake.requests.append(request)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        try:
            reply = fake.script(request)
        except Exception as exc:  # a broken script shows in the test, not as a hung agent
            fake.errors.append(exc)
            reply = Reply(status=500, text=f"script failed: {exc}")
        if reply.delay:
            if fake.stopping.wait(reply.delay):
                return
        if reply.body is not None:
            self._raw(reply.status, reply.body, "application/json", reply.headers)
        elif reply.status != 200:
            self._send(reply.status, {"error": {"message": reply.text or "error", "type": "server_error"}},
                       reply.headers)
        elif body.get("stream"):
            self._stream(body, reply)
        else:
            self._send(200, _completion(body, reply))

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(payload).encode(), "application/json", headers or {})

    def _raw(self, status: int, data: bytes, kind: str, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (its timeout): nothing to do

    def _stream(self, body: dict[str, Any], reply: Reply) -> None:
        chunks = list(_chunks(body, reply))
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in [*(f"data: {json.dumps(c)}\n\n" for c in chunks), "data: [DONE]\n\n"]:
                data = chunk.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass


def _arguments(args: dict[str, Any] | str) -> str:
    return args if isinstance(args, str) else json.dumps(args)


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_calls:
        message["tool_calls"] = [{"id": f"call_{next(_IDS)}", "type": "function",
                                  "function": {"name": name, "arguments": _arguments(args)}}
                                 for name, args in reply.tool_calls]
    out: dict[str, Any] = {"id": f"chatcmpl-{next(_IDS)}", "object": "chat.completion", "created": int(time.time()),
                           "model": body.get("model", "fake"),
                           "choices": [{"index": 0, "message": message,
                                        "finish_reason": "tool_calls" if reply.tool_calls else "stop"}]}
    if reply.usage is not None:
        out["usage"] = {"prompt_tokens": reply.usage[0], "completion_tokens": reply.usage[1],
                        "total_tokens": sum(reply.usage)}
    return out


def _chunks(body: dict[str, Any], reply: Reply) -> Iterable[dict[str, Any]]:
    ident = f"chatcmpl-{next(_IDS)}"
    base = {"id": ident, "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body.get("model", "fake")}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": ""})
    text = reply.text or ""
    for start in range(0, len(text), max(1, len(text) // 3 + 1)):
        yield chunk({"content": text[start:start + len(text) // 3 + 1]})
    for index, (name, args) in enumerate(reply.tool_calls):
        encoded = _arguments(args)
        half = len(encoded) // 2
        yield chunk({"tool_calls": [{"index": index, "id": f"call_{next(_IDS)}", "type": "function",
                                     "function": {"name": name, "arguments": ""}}]})
        for piece in (encoded[:half], encoded[half:]):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, "tool_calls" if reply.tool_calls else "stop")
    if reply.usage is not None and (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": {"prompt_tokens": reply.usage[0],
                                                "completion_tokens": reply.usage[1],
                                                "total_tokens": sum(reply.usage)}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeLLM

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # a client that went away (killed, timed out) is normal


class FakeLLM:
    """The server; use as a context manager, or :meth:`start` / :meth:`stop`."""

    def __init__(self, script: Callable[[Request], Reply] | None = None) -> None:
        self.script: Callable[[Request], Reply] = script or (lambda request: Reply(text="NOTHING TO DO"))
        self.requests: list[Request] = []
        self.errors: list[Exception] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="kin-fake-llm", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def seen(self, predicate: Callable[[Request], bool] = lambda r: True) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if predicate(r)]


def llm_home(directory: Path, url: str, models: Iterable[dict[str, Any]] | None = None,
             keys: dict[str, str] | None = None) -> dict[str, str]:
    """Write ``extra-openai-models.yaml`` (and ``keys.json``) into ``directory``; return the environment to use.

    Default models: ``fake-tools`` (tools, streamed), ``fake-plain`` (no tools, JSON replies) and
    ``fake-keyed`` (tools; needs the key ``fake``).
    """
    directory.mkdir(parents=True, exist_ok=True)
    entries = list(models or [
        {"model_id": "fake-tools", "model_name": "fake-tools", "supports_tools": True},
        {"model_id": "fake-plain", "model_name": "fake-plain", "can_stream": False},
        {"model_id": "fake-keyed", "model_name": "fake-keyed", "supports_tools": True, "api_key_name": "fake"},
    ])
    for entry in entries:
        entry.setdefault("api_base", url)
    (directory / "extra-openai-models.yaml").write_text(yaml.safe_dump(entries))
    if keys is not None:
        (directory / "keys.json").write_text(json.dumps(keys))
    return {"LLM_USER_PATH": str(directory), "OPENAI_API_KEY": ""}
