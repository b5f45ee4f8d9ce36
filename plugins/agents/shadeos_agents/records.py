"""What an agent leaves under ``.kin/agents/<daemon_id>/`` (files this plugin owns):

- ``history.jsonl``: one JSON line per cycle (appended under a lock), with
  ``time``, ``cycle``, ``task``, ``task_id``, ``task_source`` (``queue`` or
  ``model``), ``model``, ``steps`` (tool name, outcome, path; never a file's
  content), ``edits``, ``commit``, ``input_tokens``, ``output_tokens``,
  ``duration``, ``outcome`` (``ok``, ``nothing-to-do``, ``refused``,
  ``error``, ``budget``, ``waiting``, ``interrupted``) and ``error``;
- ``agent.json``: the agent's state for ``kin agents`` (role, model, state,
  cycles, token totals), rewritten atomically after each cycle;
- ``usage.json``: tokens per minute for budgets (see :mod:`.budget`);
- ``cycle.json``: the cycle in progress and the files it changed so far; left
  behind only when the agent died mid-cycle, so its next life commits them.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shadeos_core.fsio import atomic_write_json, dumps_json, loads_json, locked_append, read_json
from shadeos_core.shapes import INT, LIST, NUMBER, TEXT, objects, texts, typed
from shadeos_core.workspace import Workspace, check_name

__all__ = ["AgentRecords", "agent_dirs", "OUTCOMES"]

OUTCOMES = ("ok", "nothing-to-do", "refused", "error", "budget", "waiting", "interrupted")

# What readers rely on; a value of another type (a damaged or hand-edited record) is dropped on reading.
_CYCLE_FIELDS = {"time": TEXT, "cycle": INT, "task": TEXT, "task_id": TEXT, "task_source": TEXT, "model": TEXT,
                 "steps": LIST, "edits": LIST, "commit": TEXT, "input_tokens": INT, "output_tokens": INT,
                 "duration": NUMBER, "outcome": TEXT, "error": TEXT, "summary": TEXT}
_STEP_FIELDS = {"tool": TEXT, "outcome": TEXT, "path": TEXT}
_EDIT_FIELDS = {"path": TEXT, "op": TEXT, "outcome": TEXT}
_STATUS_FIELDS = {"team": TEXT, "name": TEXT, "role": TEXT, "model": TEXT, "model_source": TEXT, "coder": TEXT,
                  "pid": INT, "pid_started": NUMBER, "state": TEXT, "reason": TEXT, "input_tokens": INT,
                  "output_tokens": INT, "cycles": INT, "updated": TEXT, "last_task": TEXT, "last_outcome": TEXT}
_UNFINISHED_FIELDS = {"task": TEXT}


def agent_dirs(workspace: Workspace) -> list[Path]:
    """Every agent directory under ``.kin/agents/`` (one per daemon id that ever ran)."""
    root = workspace.kin_dir / "agents"
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name not in ("leases",) and "." in p.name)


class AgentRecords:
    """The records of one agent."""

    def __init__(self, workspace: Workspace, daemon_id: str) -> None:
        self.daemon_id = check_name(daemon_id, what="daemon id")
        self.directory = workspace.kin_dir / "agents" / daemon_id
        self.history_path = self.directory / "history.jsonl"
        self.status_path = self.directory / "agent.json"
        self.usage_path = self.directory / "usage.json"
        self.cycle_path = self.directory / "cycle.json"

    def ensure(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    # -- history -------------------------------------------------------------------------------
    def append(self, record: dict[str, Any]) -> None:
        self.ensure()
        line = dumps_json(record, default=str) + "\n"
        locked_append(self.history_path, line.encode("utf-8"))

    def history(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Cycles, newest first (a damaged line is skipped)."""
        out = []
        for record in self._lines_backwards():
            out.append(record)
            if limit is not None and len(out) >= limit:
                break
        return out

    def last(self) -> dict[str, Any] | None:
        return next(self._lines_backwards(), None)

    def _lines_backwards(self, chunk: int = 65536) -> Iterator[dict[str, Any]]:
        try:
            handle = open(self.history_path, "rb")
        except FileNotFoundError:
            return
        with handle:
            end = handle.seek(0, os.SEEK_END)
            tail = b""
            while end > 0:
                start = max(0, end - chunk)
                handle.seek(start)
                block = handle.read(end - start) + tail
                lines = block.split(b"\n")
                tail = lines.pop(0) if start > 0 else b""
                for raw in reversed(lines):
                    record = _parse(raw)
                    if record is not None:
                        yield record
                end = start
            record = _parse(tail)
            if record is not None:
                yield record

    # -- state for kin agents ---------------------------------------------------------------------
    def write_status(self, status: dict[str, Any]) -> None:
        self.ensure()
        atomic_write_json(self.status_path, {"schema": 1, "daemon_id": self.daemon_id, **status}, indent=None)

    def status(self) -> dict[str, Any] | None:
        try:
            data = read_json(self.status_path)
        except (OSError, ValueError):
            return None
        return typed(data, _STATUS_FIELDS) if isinstance(data, dict) else None

    # -- the cycle in progress ----------------------------------------------------------------------
    def begin(self, cycle: dict[str, Any]) -> None:
        self.ensure()
        atomic_write_json(self.cycle_path, cycle, indent=None)

    def unfinished(self) -> dict[str, Any] | None:
        """The cycle a previous life of this agent did not finish (it died), if any."""
        try:
            data = read_json(self.cycle_path)
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        return {**typed(data, _UNFINISHED_FIELDS), "changed": texts(data.get("changed")),
                "created": texts(data.get("created"))}

    def end(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.cycle_path)


def _parse(raw: bytes) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    try:
        value = loads_json(raw)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    record = typed(value, _CYCLE_FIELDS)
    record["steps"] = objects(value.get("steps"), _STEP_FIELDS)
    record["edits"] = objects(value.get("edits"), _EDIT_FIELDS)
    return record
