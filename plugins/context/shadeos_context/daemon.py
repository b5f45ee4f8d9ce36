"""The ``context`` meta-daemon: expires entries past their TTL and fires persistence triggers."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from shadeos_core.daemon import CycleResult, Injection, MetaDaemon
from shadeos_core.errors import KinError

from .archive import MISSING
from .context import MidTermContext

__all__ = ["ContextDaemon"]


class ContextDaemon(MetaDaemon):
    """Each cycle: delete expired entries, then check the persistence triggers.

    Run it with ``[meta.context]`` and ``every = "30s"`` in a team file. Another
    daemon may ask for a persistence with the action ``persist`` (params
    ``{"trigger": "explicit"}``).
    """

    OPTIONS: ClassVar[Mapping[str, type | tuple[type, ...]] | None] = {}

    @classmethod
    def check_options(cls, spec: Any, kernel: Any) -> None:
        """``[context]`` in kin.toml is checked before the team starts (a bad value is a one-line error)."""
        from .settings import ContextSettings

        ContextSettings.from_workspace(kernel.workspace)
    description: ClassVar[str] = "expires mid-term context entries and persists them into the archive"

    def setup(self) -> None:
        self.context = MidTermContext.open(self.workspace, kernel=self.kernel)
        self.expired_total = 0
        self.persisted_total = 0
        self.last_triggers: list[str] = []
        if not self.context.archive.available:
            self.log.warning("context persistence %s; entries still expire", MISSING)

    def cycle(self, injections: Sequence[Injection]) -> CycleResult | None:
        expired = self.context.expire()
        fired, done = self.context.persistence.check(self.context.archive)
        self.expired_total += len(expired)
        self.persisted_total += len(done)
        self.last_triggers = fired
        if fired:
            self.log.info("persistence triggers fired: %s (%d entries archived)", ", ".join(fired), len(done))
        notes = f"expired {len(expired)}, archived {len(done)}" + (f" ({', '.join(fired)})" if fired else "")
        if not self.context.archive.available:
            notes += f"; persistence {MISSING}"
        return CycleResult(status="ok" if expired or done else "idle", task="mid-term context upkeep", notes=notes,
                           data={"expired": len(expired), "persisted": len(done), "triggers": fired})

    def handle_action(self, action_type: str, params: Mapping[str, Any]) -> Any:
        if action_type != "persist":
            raise KinError(f"the context meta-daemon has no action {action_type!r}", hint="known actions: persist")
        done = self.context.persist(str(params.get("trigger", "explicit")))
        self.persisted_total += len(done)
        return len(done)

    def status(self) -> dict[str, Any]:
        return {**super().status(), "expired": self.expired_total, "persisted": self.persisted_total,
                "last_triggers": self.last_triggers}
