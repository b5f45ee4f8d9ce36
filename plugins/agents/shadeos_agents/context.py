"""A cycle's context, assembled within the agent's token budget (``context_tokens``).

What goes in, and the share of the budget each part may take at most:
the mission (20 %), a summary of the project map (12 %), queued tasks (4 %,
the team's whole queue within the same share), the teammates and what they
do (6 %), the agent's recent cycles (8 %), relevant memories (8 %); the
files of the task take what is left, whole, in order: first the files the
task names, then the agent's ``read`` globs. A file
that does not fit is named, not cut. Secrets never enter: every file goes
through the agent's path policy. Tokens are counted with the map plugin's
``count_tokens`` hook when it is installed (else about 4 characters a token).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shadeos_core.phase import read_phase

from .gate import MAX_READ_BYTES
from .listing import glob_files
from .policy import Refused

if TYPE_CHECKING:
    from .daemon import AgentDaemon

__all__ = ["ContextBuilder", "Context", "SHARES", "mentioned_paths"]

SHARES = {"mission": 0.20, "map_summary": 0.12, "tasks": 0.04, "teammates": 0.06, "history": 0.08, "memories": 0.08}
_PATHISH = re.compile(r"[\w@+-]+(?:[./][\w@+-]+)*\.[A-Za-z0-9]{1,8}|[\w@+.-]+(?:/[\w@+.-]+)+")
_CUT = "\n… (cut to fit the context budget)"


def mentioned_paths(text: str) -> list[str]:
    """Path-like words of ``text``, in order, without duplicates (``src/a.py``, ``README.md``)."""
    seen: dict[str, None] = {}
    for match in _PATHISH.finditer(text or ""):
        seen.setdefault(match.group(0).strip(".,;:'\"`()[]"), None)
    return [p for p in seen if p]


@dataclass
class Context:
    """The template variables of one prompt, and the files shown in it."""

    variables: dict[str, Any]
    shown: list[str] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)


class ContextBuilder:
    """Gathers what an agent knows before a model call."""

    def __init__(self, agent: AgentDaemon, count: Callable[[str], int]) -> None:
        self.agent = agent
        self.count = count
        self.budget = agent.settings.context_tokens

    def build(self, task: str = "") -> Context:
        agent = self.agent
        settings = agent.settings
        team = self._team_state()
        variables: dict[str, Any] = {
            "role": settings.role, "daemon_id": agent.daemon_id, "team": agent.team.name, "task": task,
            "may_change": settings.files, "commands": [" ".join(c) for c in settings.commands],
            "phase": self._phase(),
            "mission": self._fit(self._mission(), "mission"),
            "map_summary": self._fit(self._map_summary(), "map_summary"),
            "tasks": self._fit_list(self._tasks(), "tasks"),
            "teammates": self._fit_list(self._teammates(team), "teammates",
                                        key=lambda m: f"{m['name']} {m['role']} {m['state']} {m['task']} {m['last']}"),
            "queue": self._fit_list(self._queue(), "tasks", key=lambda t: f"{t['state']} {t['text']}"),
            "conflicts": [f"{c.get('waiting')} waits for {c.get('holder')} on {c.get('file')}"
                          for c in team.get("conflicts", [])][:10],
            "history": self._fit_list(self._history(), "history",
                                      key=lambda h: f"{h['task']} {h['outcome']} {' '.join(h['edited'])}"),
            "memories": self._fit_list(self._memories(task), "memories"),
        }
        used = sum(self.count(str(v)) for v in variables.values() if v)
        files, omitted = self._files(task, max(0, self.budget - used)) if task else ([], [])
        variables["files"] = files
        variables["omitted"] = omitted
        return Context(variables, [f["path"] for f in files], omitted)

    # -- fitting ---------------------------------------------------------------------------------
    def _cap(self, part: str) -> int:
        return int(self.budget * SHARES[part])

    def _fit(self, text: str, part: str) -> str:
        cap = self._cap(part)
        tokens = self.count(text)
        if tokens <= cap:
            return text
        keep = max(0, int(len(text) * cap / max(tokens, 1) * 0.95) - len(_CUT))
        return text[:keep] + _CUT

    def _fit_list(self, items: list[Any], part: str, key: Callable[[Any], str] = str) -> list[Any]:
        cap = self._cap(part)
        out, used = [], 0
        for item in items:
            cost = self.count(key(item)) + 2
            if used + cost > cap:
                break
            out.append(item)
            used += cost
        return out

    # -- the parts ---------------------------------------------------------------------------------
    def _mission(self) -> str:
        name = self.agent.team.mission
        if not name:
            return ""
        try:
            rel = self.agent.gate.policy.check_read(name)
            data = (self.agent.workspace.root / rel).read_bytes()[:MAX_READ_BYTES]
        except Refused as exc:
            return f"(the mission file {name} cannot be shown: {exc.reason})"
        except OSError:
            return f"(the mission file {name} does not exist yet)"
        return data.decode("utf-8", "replace").strip()

    def _phase(self) -> str | None:
        return read_phase(self.agent.workspace)

    def _map_summary(self) -> str:
        workspace = self.agent.workspace
        try:
            output = workspace.section("map").get("output", ".kin/map.md")
        except Exception:
            output = ".kin/map.md"
        try:
            path = workspace.inside(str(output))
            text = path.read_text(encoding="utf-8", errors="replace")
        except Exception:
            return "(no project map yet: the map meta-daemon writes one; pip install shadeos-map)"
        return text.strip()

    def _tasks(self) -> list[str]:
        from shadeos_core.tasks import TaskQueue, addressed_to

        queued = TaskQueue(self.agent.workspace).list("queued")
        return [t.text + (f" (for {t.to})" if t.to else "") for t in queued
                if addressed_to(t.to, self.agent.daemon_id)][:20]

    def _team_state(self) -> dict[str, Any]:
        """What the orchestrator publishes about this team while it runs (empty when it does not)."""
        from shadeos_core.teamstate import read_team_states

        for state in read_team_states(self.agent.workspace):
            if state.get("team") == self.agent.team.name and state.get("running"):
                return state
        return {}

    def _teammates(self, team: dict[str, Any]) -> list[dict[str, str]]:
        from .records import AgentRecords

        supervised = {d.get("name"): d for d in team.get("daemons", []) if isinstance(d, dict)}
        mates = []
        for spec in self.agent.team.daemons.values():
            if spec.daemon_id == self.agent.daemon_id or spec.type != "agent":
                continue
            seen = supervised.get(spec.name, {})
            state = self.agent.context_get(spec.daemon_id, "task_states")
            task = state.get("task") if isinstance(state, dict) and state.get("outcome") is None else None
            last = AgentRecords(self.agent.workspace, spec.daemon_id).last() or {}
            mates.append({
                "name": spec.name, "role": str(spec.options.get("role") or spec.name),
                "state": str(seen.get("progress") or "").strip() or str(seen.get("state") or "not running").lower(),
                "task": str(seen.get("task") or task or ""),
                "last": f"{last.get('task') or '(no task)'} -> {last.get('outcome')}" if last else "",
            })
        return mates

    def _queue(self) -> list[dict[str, Any]]:
        from shadeos_core.tasks import TaskQueue

        return [{"text": t.text, "to": t.to, "holder": t.holder, "state": t.state}
                for t in TaskQueue(self.agent.workspace).list("queued", "claimed")][:30]

    def _history(self) -> list[dict[str, Any]]:
        out = []
        for record in self.agent.records.history(limit=6):
            edited = [e.get("path", "") for e in record.get("edits", []) if e.get("outcome") == "applied"]
            out.append({"task": record.get("task") or "(no task)", "outcome": record.get("outcome", "?"),
                        "edited": sorted(set(edited))})
        return out

    def _memories(self, task: str) -> list[str]:
        query = " ".join(re.findall(r"\w{4,}", task))[:200] if task else self.agent.settings.role
        hits = self.agent.recall(query, limit=5) if query else None
        return [str(h.get("summary") or h.get("content") or "")[:500] for h in hits or []]

    def _files(self, task: str, room: int) -> tuple[list[dict[str, str]], list[str]]:
        agent = self.agent
        root = agent.workspace.root
        candidates = [*mentioned_paths(task), *glob_files(root, agent.settings.read)]
        files: list[dict[str, str]] = []
        omitted: list[str] = []
        seen: set[str] = set()
        for raw in _unique(candidates):
            try:
                rel = agent.gate.policy.check_read(raw)
            except Refused:
                continue
            if rel in seen:
                continue
            seen.add(rel)
            path = root / rel
            try:
                if not path.is_file() or path.stat().st_size > MAX_READ_BYTES:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if b"\x00" in data[:8192]:
                continue
            text = data.decode("utf-8", "replace")
            cost = self.count(text) + 10
            if cost > room:
                omitted.append(rel)
                continue
            room -= cost
            agent.gate.saw(rel, data)
            files.append({"path": rel, "content": text})
        return files, omitted


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
