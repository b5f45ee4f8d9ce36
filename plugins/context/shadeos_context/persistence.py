"""Moving mid-term context into the archive: the four triggers and the record of what was persisted.

The record, ``.kin/context/.persistence.json``, keeps for each (daemon, type) the
digest of the data last archived, each completed task already acted on, when the
periodic trigger last fired and whether the size trigger is armed. A persistence
archives only entries whose digest is not recorded, so nothing is archived twice.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shadeos_core.errors import UsageError
from shadeos_core.fsio import atomic_write_json, file_lock, read_json

from .archive import Archive
from .settings import TRIGGERS, ContextSettings
from .store import ContextEntry, ContextStore

__all__ = ["Persistence", "Persisted", "completed_tasks", "digest"]

STRATUM = "cognitive"
_HISTORY = 50


@dataclass(frozen=True)
class Persisted:
    """One entry written to the archive."""

    daemon_id: str
    context_type: str
    memory_id: str
    trigger: str


def digest(entry: ContextEntry) -> str:
    """Identity of an entry's content: the same data stored again is not archived again."""
    text = json.dumps([entry.daemon_id, entry.context_type, entry.data], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def completed_tasks(entry: ContextEntry) -> Iterable[tuple[str, dict[str, Any]]]:
    """``(task id, state)`` of the completed tasks in a ``task_states`` entry whose stratum is not somatic.

    The entry holds either one task (``{"task": id, "status": …, "stratum": …}``) or a
    mapping of task id to such a state. A task without a stratum counts as somatic.
    """
    data = entry.data
    states = {str(data.get("task") or data.get("id") or "task"): data} if "status" in data else data
    for task_id, state in states.items():
        if isinstance(state, dict) and state.get("status") == "completed" and state.get("stratum", "somatic") != "somatic":
            yield task_id, state


class Persistence:
    """Checks the triggers and archives context; one process at a time per workspace (file lock)."""

    def __init__(self, store: ContextStore, settings: ContextSettings) -> None:
        self.store = store
        self.settings = settings
        self.path = store.root / ".persistence.json"

    # -- the record ----------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        """The persistence record (empty shape when nothing was ever persisted)."""
        try:
            data = read_json(self.path)
        except (FileNotFoundError, ValueError):
            data = None
        if not isinstance(data, dict):
            data = {}
        data.setdefault("schema", 1)
        data.setdefault("last_periodic", None)
        data.setdefault("size_armed", True)
        for key in ("persisted", "tasks"):
            if not isinstance(data.get(key), dict):
                data[key] = {}
        if not isinstance(data.get("history"), list):
            data["history"] = []
        return data

    def _lock(self) -> Any:
        self.store.workspace.state_dir("context")  # creates it, or refuses outside a workspace
        return file_lock(self.store.root / ".persist.lock")

    # -- triggers ------------------------------------------------------------------------
    def check(self, archive: Archive, now: float | None = None) -> tuple[list[str], list[Persisted]]:
        """Evaluate periodic, task-completion and size triggers; persist for those that fire."""
        if not archive.available:
            return [], []
        now = time.time() if now is None else now
        fired: list[str] = []
        done: list[Persisted] = []
        with self._lock():
            record = self.record()
            before = json.dumps(record, sort_keys=True)
            try:
                live = [e for e in self.store.entries() if not e.expired(now)]
                if record["last_periodic"] is None:
                    record["last_periodic"] = now  # the period starts when the context is first watched
                elif now - float(record["last_periodic"]) >= self.settings.persist_every:
                    fired.append("periodic")
                    record["last_periodic"] = now
                    done += self._persist(archive, record, live, "periodic")
                tasks = self._new_completions(record, live)
                if tasks:
                    fired.append("task_completion")
                    daemons = {daemon for daemon, _task, _digest in tasks}
                    done += self._persist(archive, record, [e for e in live if e.daemon_id in daemons],
                                          "task_completion")
                    for daemon, task, task_digest in tasks:
                        record["tasks"][f"{daemon}/{task}"] = {"digest": task_digest, "at": now}
                count = self.store.count()
                if count < self.settings.size_threshold:
                    record["size_armed"] = True
                elif record["size_armed"]:
                    fired.append("size_threshold")
                    record["size_armed"] = False  # re-armed once the context shrinks below the threshold
                    done += self._persist(archive, record, live, "size_threshold")
            finally:
                if fired or json.dumps(record, sort_keys=True) != before:
                    self._save(record, fired, done, now)
        return fired, done

    def request(self, archive: Archive, trigger: str = "explicit", now: float | None = None) -> list[Persisted]:
        """Persist now for ``trigger`` whatever its condition; returns what was archived."""
        if trigger not in TRIGGERS:
            raise UsageError(f"unknown persistence trigger {trigger!r}", hint=f"use one of {', '.join(TRIGGERS)}")
        archive.require("context persistence")
        now = time.time() if now is None else now
        with self._lock():
            record = self.record()
            done: list[Persisted] = []
            try:
                live = [e for e in self.store.entries() if not e.expired(now)]
                if trigger == "task_completion":
                    tasks = self._new_completions(record, live)
                    daemons = {daemon for daemon, _task, _digest in tasks}
                    done += self._persist(archive, record, [e for e in live if e.daemon_id in daemons], trigger)
                    for daemon, task, task_digest in tasks:
                        record["tasks"][f"{daemon}/{task}"] = {"digest": task_digest, "at": now}
                else:
                    if trigger == "periodic":
                        record["last_periodic"] = now
                    done += self._persist(archive, record, live, trigger)
            finally:
                self._save(record, [trigger], done, now)
        return done

    # -- work ----------------------------------------------------------------------------
    @staticmethod
    def _new_completions(record: dict[str, Any], live: list[ContextEntry]) -> list[tuple[str, str, str]]:
        found = []
        for entry in live:
            if entry.context_type != "task_states":
                continue
            for task, state in completed_tasks(entry):
                task_digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode("utf-8")).hexdigest()
                seen = record["tasks"].get(f"{entry.daemon_id}/{task}")
                if not (isinstance(seen, dict) and seen.get("digest") == task_digest):
                    found.append((entry.daemon_id, task, task_digest))
        return found

    @staticmethod
    def _persist(archive: Archive, record: dict[str, Any], entries: list[ContextEntry], trigger: str) -> list[Persisted]:
        done = []
        for entry in entries:
            key = f"{entry.daemon_id}/{entry.context_type}"
            entry_digest = digest(entry)
            seen = record["persisted"].get(key)
            if isinstance(seen, dict) and seen.get("digest") == entry_digest:
                continue
            memory_id = archive.store(
                stratum=STRATUM, content=json.dumps(entry.data, indent=2, ensure_ascii=False, sort_keys=True),
                namespace=f"daemons/{entry.daemon_id}",
                summary=f"{entry.context_type} context of {entry.daemon_id}",
                keywords=["context", entry.context_type, entry.daemon_id],
                metadata={"source": "context", "daemon_id": entry.daemon_id, "context_type": entry.context_type,
                          "trigger": trigger, "digest": entry_digest, "stored_at": entry.stored_at},
                author="context")
            # Recorded at once, so a failure on a later entry never causes this one to be archived twice.
            record["persisted"][key] = {"digest": entry_digest, "memory_id": memory_id, "trigger": trigger,
                                        "at": time.time()}
            done.append(Persisted(entry.daemon_id, entry.context_type, memory_id, trigger))
        return done

    def _save(self, record: dict[str, Any], fired: list[str], done: list[Persisted], now: float) -> None:
        if fired:
            record["history"] = (record["history"] + [{"at": now, "triggers": fired, "persisted": len(done)}])[-_HISTORY:]
        atomic_write_json(self.path, record)
