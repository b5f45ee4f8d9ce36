"""Consolidating memory with a model: summaries and keywords filled in, somatic facts distilled into insights.

Runs in the archivist meta-daemon when a model is configured for the
workspace (the agents plugin's ``model_complete`` hook answers; without it,
or with no model chosen, nothing happens and nothing is sent). Each pass:

1. memories stored without a summary or keywords (oldest first, ten at a
   time) get both, as an ``annotate`` record the index picks up;
2. in each namespace holding at least ``distil_after`` somatic memories not
   yet distilled, the oldest of them (twelve at most) are distilled into one
   ``cognitive`` memory, linked from each of them by a ``transcendence`` edge
   (which is also how a fact is known to be distilled).

Tokens are counted per hour in ``.kin/memory/consolidation.json`` and a pass
stops before a call once ``consolidation_tokens_per_day`` are spent.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shadeos_core.errors import KinError
from shadeos_core.fsio import atomic_write_json, loads_json, read_json

__all__ = ["Consolidator", "PassResult", "SYSTEM", "consolidation_note"]

log = logging.getLogger(__name__)

SYSTEM = "You keep the long-term memory of a team of agents working on a project: short, exact, factual."
ANNOTATE = ('Write a summary (one line, under 100 characters) and 3 to 6 keywords for each memory below. '
            'Answer with JSON only: a list of {"id": "...", "summary": "...", "keywords": ["..."]}.\n\n')
DISTIL = ('These facts were recorded in {namespace}. Distil them into one insight that holds for all of them: what '
          'they teach, a pattern, a lesson (2 to 4 sentences). Answer with JSON only: '
          '{{"content": "...", "summary": "...", "keywords": ["..."]}}.\n\n')
_BATCH = 10
_DISTIL_MAX = 12


@dataclass
class PassResult:
    annotated: int = 0
    distilled: int = 0
    tokens: int = 0
    skipped: str = ""
    errors: list[str] = field(default_factory=list)


def _json(text: str, opening: str) -> Any:
    """The first JSON value of ``text`` that starts with ``opening`` (models wrap JSON in prose and fences)."""
    start = text.find(opening)
    end = text.rfind("]" if opening == "[" else "}")
    if start < 0 or end <= start:
        return None
    try:
        return loads_json(text[start:end + 1])
    except ValueError:
        return None


def _keywords(value: Any) -> list[str] | None:
    if isinstance(value, list) and value and all(isinstance(k, str) and k.strip() for k in value):
        return [k.strip() for k in value][:8]
    return None


class TokenLedger:
    """Tokens spent on consolidation per hour, for the daily budget (the archivist's own file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def spent_today(self, now: float) -> int:
        return sum(self._hours(now).values())

    def add(self, tokens: int, now: float) -> None:
        hours = self._hours(now)
        hour = int(now // 3600)
        hours[hour] = hours.get(hour, 0) + tokens
        atomic_write_json(self.path, {"schema": 1, "hours": {str(h): t for h, t in sorted(hours.items())}}, indent=None)

    def _hours(self, now: float) -> dict[int, int]:
        try:
            raw = read_json(self.path).get("hours", {})
        except (OSError, ValueError, AttributeError):
            raw = {}
        first = int(now // 3600) - 23
        out: dict[int, int] = {}
        for key, value in raw.items() if isinstance(raw, dict) else ():
            if str(key).isdigit() and isinstance(value, int) and int(key) >= first:
                out[int(key)] = value
        return out


class Consolidator:
    """One pass at a time over an archive; ``ask(system, prompt)`` is the ``model_complete`` hook bound to a
    workspace (returns ``None`` when no model is configured)."""

    def __init__(self, archivist: Any, ask: Callable[[str, str], dict[str, Any] | None], *,
                 tokens_per_day: int, distil_after: int) -> None:
        self.archivist = archivist
        self.ask = ask
        self.tokens_per_day = tokens_per_day
        self.distil_after = distil_after
        self.ledger = TokenLedger(archivist.directory / "consolidation.json")

    def run(self) -> PassResult:
        result = PassResult()
        try:
            self._annotate(result)
            self._distil(result)
        except _Stop as stop:
            result.skipped = str(stop)
        return result

    def _call(self, prompt: str, result: PassResult) -> str:
        now = time.time()
        spent = self.ledger.spent_today(now)
        if spent >= self.tokens_per_day:
            raise _Stop(f"consolidation_tokens_per_day spent ({spent}/{self.tokens_per_day})")
        try:
            answer = self.ask(SYSTEM, prompt)
        except KinError as exc:
            raise _Stop(str(exc)) from None
        if answer is None:
            raise _Stop("no model configured ([agents] model in kin.toml)")
        tokens = int(answer.get("input_tokens") or 0) + int(answer.get("output_tokens") or 0)
        self.ledger.add(tokens, now)
        result.tokens += tokens
        return str(answer.get("text") or "")

    def _annotate(self, result: PassResult) -> None:
        view = self.archivist.view
        view.refresh()
        bare = [m for m in view.memories.values() if not m.get("summary") or not m.get("keywords")][:_BATCH]
        if not bare:
            return
        listed = "\n".join(f"- id {m['id']}: {m['content'][:1500]}" for m in bare)
        answer = _json(self._call(ANNOTATE + listed, result), "[")
        wanted = {m["id"]: m for m in bare}
        for item in answer if isinstance(answer, list) else []:
            if not isinstance(item, dict) or item.get("id") not in wanted:
                continue
            memory = wanted.pop(item["id"])
            summary = item.get("summary") if isinstance(item.get("summary"), str) and item["summary"].strip() else None
            keywords = _keywords(item.get("keywords"))
            if memory.get("summary"):
                summary = None  # never overwrite what an author wrote
            if memory.get("keywords"):
                keywords = None
            if summary is not None or keywords is not None:
                if self.archivist.annotate_memory(memory["id"], summary=summary and summary[:200], keywords=keywords):
                    result.annotated += 1
        if wanted and answer is None:
            result.errors.append("the model's answer to the annotation request was not the JSON asked for")

    def _distil(self, result: PassResult) -> None:
        view = self.archivist.view
        view.refresh()
        waiting: dict[str, list[dict[str, Any]]] = {}
        for memory in view.memories.values():
            if memory["stratum"] != "somatic":
                continue
            distilled = any(kind == "transcendence" for (_target, kind) in view.outgoing.get(memory["id"], {}))
            if not distilled:
                waiting.setdefault(memory["namespace"], []).append(memory)
        for namespace, facts in sorted(waiting.items()):
            if len(facts) < self.distil_after:
                continue
            batch = facts[:_DISTIL_MAX]
            listed = "\n".join(f"- {m['content'][:1500]}" for m in batch)
            answer = _json(self._call(DISTIL.format(namespace=namespace) + listed, result), "{")
            content = answer.get("content") if isinstance(answer, dict) else None
            if not isinstance(content, str) or not content.strip():
                result.errors.append(f"the model's distillation of {namespace} was not the JSON asked for")
                continue
            summary = answer.get("summary") if isinstance(answer.get("summary"), str) else None
            insight = self.archivist.store_memory(
                "cognitive", content.strip(), namespace=namespace, summary=(summary or "").strip()[:200] or None,
                keywords=_keywords(answer.get("keywords")), author="archivist",
                metadata={"distilled_from": [m["id"] for m in batch]})
            for fact in batch:
                self.archivist.create_fractal_links(fact["id"], insight, "transcendence",
                                                    metadata={"by": "archivist consolidation"})
            result.distilled += 1


class _Stop(Exception):
    """The pass stops here (budget spent, no model, the model failing): the reason is reported."""


def consolidation_note(result: PassResult) -> str:
    parts = []
    if result.annotated:
        parts.append(f"{result.annotated} annotated")
    if result.distilled:
        parts.append(f"{result.distilled} distilled")
    if result.skipped:
        parts.append(f"stopped: {result.skipped}")
    return ", ".join(parts)

