"""The ``processes`` janitor: removes records of managed processes that are gone.

States: ``gone`` (the process ended; record removed), ``malformed`` (record
removed), ``orphaned`` (it still runs but the process that started it died:
reported, and with ``hard`` its whole tree is stopped), ``running`` (left alone).
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from shadeos_core.janitor import Cleanup, Janitor

from .records import ProcessRecord, read_records

__all__ = ["ProcessJanitor"]


class ProcessJanitor(Janitor):
    description = "process records (.kin/run/processes) of processes that are gone"

    def scan(self) -> Iterator[Cleanup]:
        for path, record in read_records(self.workspace):
            rel = self.workspace.relative(path)
            if not isinstance(record, ProcessRecord):
                yield Cleanup(rel, "malformed", detail=record)
            elif not record.alive():
                yield Cleanup(rel, "gone", detail=f"pid {record.pid} ({record.name}) ended",
                              data={"pid": record.pid, "name": record.name})
            elif not record.starter_alive():
                yield Cleanup(rel, "orphaned", detail=f"pid {record.pid} ({record.name}) outlived its starter "
                              f"{record.parent_pid}", data={"pid": record.pid, "name": record.name})
            else:
                yield Cleanup(rel, "running", data={"pid": record.pid, "name": record.name})

    def clean(self, *, dry_run: bool = False, hard: bool = False) -> list[Cleanup]:
        done = []
        for item in self.scan():
            if item.state in ("gone", "malformed"):
                if not dry_run:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.workspace.root / item.path)
                item.action = "removed"
            elif item.state == "orphaned" and hard:
                if not dry_run:
                    from .termination import kill_process_tree

                    report = kill_process_tree(int(item.data["pid"]), timeout=5)
                    if not report.survivors:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(self.workspace.root / item.path)
                item.action = "removed"
            else:
                continue
            done.append(item)
        return done
