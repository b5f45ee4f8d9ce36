"""One streaming pass over the record feeding every analysis: performance, collaboration, patterns.

:func:`analyse` reads a window of the registry once; :class:`Analysis` can
also be fed records directly. :meth:`Analysis.report` is what the
``actions_report`` hook returns.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .collaboration import Collaboration
from .patterns import Patterns
from .performance import Performance
from .records import FAILURE_KINDS, Record, failed
from .settings import ActionsSettings
from .store import ActionStore, Query

__all__ = ["Analysis", "analyse"]


class Analysis:
    def __init__(self, settings: ActionsSettings | None = None) -> None:
        self.settings = settings or ActionsSettings()
        self.performance = Performance()
        self.collaboration = Collaboration()
        self.patterns = Patterns(self.settings)
        self.records = 0
        self.first: float | None = None
        self.last: float | None = None

    def feed_all(self, records: Iterable[Record]) -> Analysis:
        perf, collab, pat = self.performance.feed, self.collaboration.feed, self.patterns.feed
        count = 0
        first = last = None
        for record in records:
            count += 1
            if first is None:
                first = record["time"]
            last = record["time"]
            bad = failed(record) if record["data"] else record["kind"] in FAILURE_KINDS
            perf(record, bad)
            collab(record)
            pat(record, bad)
        self.records += count
        if first is not None:
            self.first = first if self.first is None else min(self.first, first)
            self.last = last if self.last is None else max(self.last, last or first)
        return self

    def report(self) -> dict[str, Any]:
        from .insights import suggest

        patterns = self.patterns.found()
        return {"records": self.records, "first": self.first, "last": self.last,
                "performance": self.performance.rows(), "graph": self.collaboration.graph(),
                "patterns": patterns, "insights": suggest(self, patterns)}


def analyse(store: ActionStore, *, since: float | None = None, until: float | None = None,
            settings: ActionsSettings | None = None) -> Analysis:
    """The analysis of the records between ``since`` and ``until`` (epoch seconds; open ends: everything)."""
    return Analysis(settings).feed_all(store.read(Query(since=since, until=until)))
