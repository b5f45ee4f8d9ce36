"""The archivist meta-daemon (``[meta.archivist]``): the one writer of the memory index while it runs."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from shadeos_core.daemon import CycleResult, Injection, MetaDaemon

__all__ = ["ArchivistDaemon", "DEFAULT_EVERY"]

#: With no trigger in the team file, the index catches up twice a second (well within the 1 s promise).
DEFAULT_EVERY = 0.5


class ArchivistDaemon(MetaDaemon):
    """Keeps the memory index up to date with the journal, whoever appended to it."""

    OPTIONS: ClassVar[dict[str, Any]] = {}
    description: ClassVar[str] = "keeps the memory index up to date with the journal"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.spec.every is None and not self.spec.watch and not self.spec.on_message:
            self.spec.every = DEFAULT_EVERY

    def setup(self) -> None:
        from .archivist import Archivist
        from .locks import PresenceLock

        self.archivist = Archivist.open(self.workspace, kernel=self.kernel)
        self.presence = PresenceLock(self.archivist.directory / "archivist.lock")
        self.presence.acquire()
        self.indexed = self.archivist.sync_index()

    def cycle(self, injections: Sequence[Injection]) -> CycleResult | None:
        changed = self.archivist.sync_index()
        if self.archivist.settings.durability == "batch":
            self.archivist.journal.sync()
        self.indexed += changed
        memories = len(self.archivist.view.memories)
        return CycleResult(status="ok" if changed else "idle", task="indexing memories",
                           progress=f"{memories} memories", data={"changed": changed})

    def status(self) -> dict[str, Any]:
        status = super().status()
        if hasattr(self, "archivist"):
            status.update(memories=len(self.archivist.view.memories), revision=self.archivist.revision())
        return status

    def teardown(self) -> None:
        archivist = getattr(self, "archivist", None)
        if archivist is None:
            return
        try:
            archivist.sync_index(timeout=1.0)
        finally:
            self.presence.release()
            archivist.close()
