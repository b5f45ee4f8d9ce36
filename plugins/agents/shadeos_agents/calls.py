"""Talking to a model through ``llm``: timeouts, retries with backoff, budgets, and usage.

Every provider ``llm`` has a plugin for fails in its own way; errors are
classified by what they carry (an HTTP ``status_code``, a ``Retry-After``
header, a class named for a timeout or a connection), never by importing a
provider's SDK. A missing or refused key is not an error to retry: the agent
waits for it. A call runs on a worker thread so that the agent's own timeout
holds whatever the provider's client does, and a stop signal interrupts the
wait at once.
"""
from __future__ import annotations

import email.utils
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .budget import Budget

__all__ = ["Reply", "ModelError", "NoKey", "ModelClient", "Dialogue", "classify"]

#: Longest pause between two attempts, whatever a provider's Retry-After asks.
MAX_PAUSE = 300.0


@dataclass
class Reply:
    """One answer: its text, the tool calls it asks for, and the tokens it cost."""

    text: str
    tool_calls: list[Any] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    estimated: bool = False


class ModelError(Exception):
    """The model could not answer: ``kind`` (``http 500``, ``timeout``, ``connection``, ``rate limit``,
    ``garbage``…), whether another attempt may help, and a pause the provider asked for."""

    def __init__(self, kind: str, message: str, *, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after


class NoKey(Exception):
    """The model needs a key that is missing or refused: the agent waits. The message says how to fix it."""


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        raw = headers.get("retry-after")
    except Exception:
        return None
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(raw) if raw else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


#: What keys look like in the error messages providers send back (often with the key, or part of it, echoed).
_KEYLIKE = re.compile(r"\b(sk|pk|rk|ak|key|api|gsk|xai|hf)[-_][A-Za-z0-9_*.\-]{8,}", re.I)
_BEARER = re.compile(r"(Bearer|token|api[-_]?key)([=: ]+)[A-Za-z0-9_*.\-]{8,}", re.I)


def redact(text: str) -> str:
    """``text`` with anything shaped like a key replaced (a provider's error may echo the key it was sent)."""
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
    return _KEYLIKE.sub(lambda m: f"{m.group(1)}-[redacted]", text)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return redact(text)[:300]


def classify(exc: BaseException, *, model_id: str, key_hint: str) -> Exception:
    """A :class:`ModelError` or :class:`NoKey` for whatever a model call raised."""
    name = type(exc).__name__
    if name == "NeedsKeyException":
        return NoKey(f"waiting: no key for {model_id} — run: {key_hint}")
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        if status in (401, 403):
            return NoKey(f"waiting: the provider refused the key for {model_id} (HTTP {status}) — run: {key_hint}")
        if status == 429:
            return ModelError("rate limit", _short(exc), retry_after=_retry_after(exc))
        retryable = status >= 500 or status in (408, 409)
        return ModelError(f"http {status}", _short(exc), retryable=retryable, retry_after=_retry_after(exc))
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return ModelError("timeout", _short(exc))
    if isinstance(exc, ConnectionError) or "Connection" in name:
        return ModelError("connection", _short(exc))
    if isinstance(exc, (ValueError, KeyError, TypeError, AttributeError, IndexError)):
        return ModelError("garbage", f"unreadable reply ({name}: {_short(exc)})")
    return ModelError("error", f"{name}: {_short(exc)}")


class ModelClient:
    """Calls one ``llm`` model within a timeout, retrying what may succeed on another attempt.

    ``on_usage(input_tokens, output_tokens, estimated)`` is told what each
    answer cost; ``estimate(text)`` counts tokens when a provider reports none;
    ``on_call(duration, input_tokens, output_tokens, error)`` is told of each
    attempt, answered or failed (``error`` is then a short line).
    """

    def __init__(self, model: Any, *, timeout: float, retries: int, backoff: float, budget: Budget | None,
                 key_hint: str, estimate: Callable[[str], int],
                 on_usage: Callable[[int, int, bool], None] = lambda i, o, e: None,
                 on_retry: Callable[[ModelError, float], None] = lambda err, pause: None,
                 sleep: Callable[[float], None] = time.sleep,
                 on_call: Callable[[float, int, int, str | None], None] = lambda d, i, o, e: None) -> None:
        self.model = model
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.budget = budget
        self.key_hint = key_hint
        self.estimate = estimate
        self.on_usage = on_usage
        self.on_retry = on_retry
        self.sleep = sleep
        self.on_call = on_call
        self.calls = 0

    @property
    def model_id(self) -> str:
        return str(getattr(self.model, "model_id", self.model))

    @property
    def supports_tools(self) -> bool:
        return bool(getattr(self.model, "supports_tools", False))

    def dialogue(self, system: str, tools: list[Any] | None = None) -> Dialogue:
        return Dialogue(self, system, tools or [])

    def attempt(self, start: Callable[[], Any], sent: str) -> Reply:
        """Run ``start()`` (which makes an ``llm`` response) to completion, with retries; ``sent`` is for estimates."""
        failure: ModelError | None = None
        for attempt in range(self.retries + 1):
            if self.budget is not None:
                self.budget.check()
            try:
                return self._once(start, sent)
            except (ModelError, NoKey) as exc:
                if isinstance(exc, NoKey) or not exc.retryable:
                    raise
                failure = exc
            if attempt < self.retries:
                pause = min(MAX_PAUSE, max(self.backoff * (2 ** attempt), failure.retry_after or 0.0))
                self.on_retry(failure, pause)
                self.sleep(pause)
        assert failure is not None
        raise failure

    def _once(self, start: Callable[[], Any], sent: str) -> Reply:
        began = time.perf_counter()
        try:
            reply = self._answer(start, sent)
        except (ModelError, NoKey) as exc:
            self.on_call(time.perf_counter() - began, 0, 0, str(exc)[:300])
            raise
        self.on_call(time.perf_counter() - began, reply.input_tokens, reply.output_tokens, None)
        return reply

    def _answer(self, start: Callable[[], Any], sent: str) -> Reply:
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                response = start()
                text = response.text()
                calls = list(response.tool_calls())
                usage = response.usage()
                box["ok"] = (text, calls, usage)
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc

        self.calls += 1
        worker = threading.Thread(target=work, name="kin-model-call", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise ModelError("timeout", f"no answer from {self.model_id} within {self.timeout:g}s")
        if "error" in box:
            raise classify(box["error"], model_id=self.model_id, key_hint=self.key_hint) from None
        text, calls, usage = box["ok"]
        estimated = usage is None or usage.input is None or usage.output is None
        if estimated:
            out_text = (text or "") + "".join(str(getattr(c, "arguments", "")) for c in calls)
            input_tokens, output_tokens = self.estimate(sent), self.estimate(out_text)
        else:
            input_tokens, output_tokens = int(usage.input), int(usage.output)
        self.on_usage(input_tokens, output_tokens, estimated)
        if not (text or "").strip() and not calls:
            raise ModelError("garbage", f"{self.model_id} answered nothing (no text, no tool call)")
        return Reply(text or "", calls, input_tokens, output_tokens, estimated)


class Dialogue:
    """One conversation with the model for a cycle: a system prompt, tools, and the turns so far.

    Each attempt works on a fresh copy of the turns, so an attempt abandoned
    on timeout can never slip its late answer into the conversation.
    """

    def __init__(self, client: ModelClient, system: str, tools: list[Any]) -> None:
        self.client = client
        self.system = system
        self.tools = tools
        self.responses: list[Any] = []
        self.sent = system

    def say(self, prompt: str | None = None, *, tool_results: list[Any] | None = None) -> Reply:
        import llm

        self.sent += (prompt or "") + "".join(getattr(r, "output", "") for r in tool_results or [])
        holder: dict[str, Any] = {}

        def start() -> Any:
            conversation = llm.Conversation(model=self.client.model)
            conversation.responses = list(self.responses)
            holder["conversation"] = conversation
            # llm's Python API streams whenever asked: ask only a model that says it can
            kwargs: dict[str, Any] = {"stream": bool(getattr(self.client.model, "can_stream", True))}
            if not self.responses:
                kwargs["system"] = self.system
            if self.tools:
                kwargs["tools"] = self.tools
            if tool_results:
                kwargs["tool_results"] = tool_results
            return conversation.prompt(prompt, **kwargs)

        reply = self.client.attempt(start, self.sent)
        self.responses = list(holder["conversation"].responses)
        return reply
