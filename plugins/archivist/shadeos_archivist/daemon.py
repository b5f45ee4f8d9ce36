"""The archivist meta-daemon (``[meta.archivist]``): the one writer of the memory index while it runs."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, ClassVar

from shadeos_core.daemon import CycleResult, Injection, MetaDaemon

__all__ = ["ArchivistDaemon", "DEFAULT_EVERY"]

#: With no trigger in the team file, the index catches up twice a second (well within the 1 s promise).
DEFAULT_EVERY = 0.5


class ArchivistDaemon(MetaDaemon):
    """Keeps the memory index up to date with the journal, whoever appended to it."""

    OPTIONS: ClassVar[dict[str, Any]] = {}

    @classmethod
    def check_options(cls, spec: Any, kernel: Any) -> None:
        """``[archivist]`` in kin.toml is checked before the team starts (a bad value is a one-line error)."""
        from .settings import Settings

        Settings.from_workspace(kernel.workspace)
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
        self.consolidated: dict[str, Any] = {"passes": 0, "annotated": 0, "distilled": 0, "tokens": 0, "last": ""}
        self._stop = threading.Event()
        if self.archivist.settings.consolidate and self.kernel.hooks.has("model_complete"):
            # off the indexing loop: a slow model must never hold the index back
            threading.Thread(target=self._consolidate, daemon=True, name="kin-consolidation").start()

    def _consolidate(self) -> None:
        from .archivist import Archivist
        from .consolidation import Consolidator, consolidation_note

        settings = self.archivist.settings
        hooks = self.kernel.hooks
        archive = Archivist.open(self.workspace, kernel=self.kernel)  # its own view: threads share no state
        consolidator = Consolidator(
            archive, lambda system, prompt: hooks.call("model_complete", workspace=self.workspace, system=system,
                                                       prompt=prompt, purpose="archivist consolidation"),
            tokens_per_day=settings.consolidation_tokens_per_day, distil_after=settings.distil_after)
        while not self._stop.is_set():
            try:
                result = consolidator.run()
            except Exception as exc:  # the model's answers are untrusted input: a pass may fail, the next one runs
                self.log.exception("memory consolidation failed")
                self.consolidated["last"] = f"failed: {type(exc).__name__}: {exc}"[:200]
            else:
                for key in ("annotated", "distilled", "tokens"):
                    self.consolidated[key] += getattr(result, key)
                self.consolidated["passes"] += 1
                self.consolidated["last"] = consolidation_note(result)
                for error in result.errors:
                    self.log.warning("memory consolidation: %s", error)
                if result.annotated or result.distilled or result.errors:
                    self.emit("consolidation", annotated=result.annotated, distilled=result.distilled,
                              tokens=result.tokens, skipped=result.skipped, errors=result.errors)
            self._stop.wait(settings.consolidate_every)

    def cycle(self, injections: Sequence[Injection]) -> CycleResult | None:
        changed = self.archivist.sync_index()
        if self.archivist.settings.durability == "batch":
            self.archivist.journal.sync()
        self.indexed += changed
        memories = len(self.archivist.view.memories)
        done = self.consolidated
        note = f"; consolidated {done['annotated']} annotated, {done['distilled']} distilled" \
            if done["annotated"] or done["distilled"] else ""
        return CycleResult(status="ok" if changed else "idle", task="indexing memories",
                           progress=f"{memories} memories{note}", data={"changed": changed})

    def status(self) -> dict[str, Any]:
        status = super().status()
        if hasattr(self, "archivist"):
            status.update(memories=len(self.archivist.view.memories), revision=self.archivist.revision(),
                          consolidated=dict(self.consolidated))
        return status

    def teardown(self) -> None:
        archivist = getattr(self, "archivist", None)
        if archivist is None:
            return
        self._stop.set()
        try:
            archivist.sync_index(timeout=1.0)
        finally:
            self.presence.release()
            archivist.close()
