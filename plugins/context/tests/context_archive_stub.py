"""A minimal archive for the context plugin's tests: the archivist's three hooks over a JSONL file.

Load it with ``KIN_PLUGINS=context_archive_stub`` (this directory on ``PYTHONPATH``)
or as an ``extra`` plugin of ``Kernel.load``. It pins the hook contract the
context relies on: keyword-only calls, ``memory_store`` returns an id,
``memory_search`` returns dicts with id/stratum/namespace/score/content/summary/created,
``memory_revision`` changes whenever the archive changes.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import pluggy

from shadeos_core.fsio import locked_append

hookspec = pluggy.HookspecMarker("shadeos")
hookimpl = pluggy.HookimplMarker("shadeos")

JOURNAL = "stub-archive.jsonl"
SEARCH_LOG = "stub-searches.log"


class ArchiveSpecs:
    @hookspec(firstresult=True)
    def memory_store(self, workspace, stratum, content, namespace, summary, keywords, metadata, author):  # type: ignore[no-untyped-def]
        """Archive one memory; return its id."""

    @hookspec(firstresult=True)
    def memory_search(self, workspace, query, strata, namespace, limit):  # type: ignore[no-untyped-def]
        """Memories relevant to ``query``, best first."""

    @hookspec(firstresult=True)
    def memory_revision(self, workspace):  # type: ignore[no-untyped-def]
        """A token that changes whenever the archive changes."""


@hookimpl
def add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    caller = getattr(pluginmanager.hook, "memory_store", None)
    if caller is None or caller.spec is None:
        pluginmanager.add_hookspecs(ArchiveSpecs)


def journal(workspace: Any) -> str:
    return os.path.join(workspace.state_dir("memory"), JOURNAL)


def records(workspace: Any) -> list[dict[str, Any]]:
    try:
        with open(journal(workspace), encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []


def searches(workspace: Any) -> int:
    try:
        with open(os.path.join(workspace.state_dir("memory"), SEARCH_LOG), encoding="utf-8") as handle:
            return sum(1 for _ in handle)
    except FileNotFoundError:
        return 0


@hookimpl
def memory_store(workspace, stratum, content, namespace, summary, keywords, metadata, author):  # type: ignore[no-untyped-def]
    record = {"id": uuid.uuid4().hex[:12], "stratum": stratum, "content": content, "namespace": namespace,
              "summary": summary, "keywords": keywords or [], "metadata": metadata or {}, "author": author,
              "created": time.time()}
    locked_append(journal(workspace), (json.dumps(record) + "\n").encode("utf-8"))
    return record["id"]


@hookimpl
def memory_search(workspace, query, strata, namespace, limit):  # type: ignore[no-untyped-def]
    locked_append(os.path.join(workspace.state_dir("memory"), SEARCH_LOG), f"{query}\n".encode())
    terms = query.lower().split()
    scored = []
    for record in records(workspace):
        if strata and record["stratum"] not in strata:
            continue
        if namespace and record["namespace"] != namespace:
            continue
        text = " ".join([record["content"], record["summary"] or "", *record["keywords"]]).lower()
        score = sum(text.count(term) for term in terms)
        if score:
            scored.append({**record, "score": float(score)})
    scored.sort(key=lambda r: -r["score"])
    return scored[:limit]


@hookimpl
def memory_revision(workspace):  # type: ignore[no-untyped-def]
    try:
        st = os.stat(journal(workspace))
    except FileNotFoundError:
        return "empty"
    return f"{st.st_size}:{st.st_mtime_ns}"
