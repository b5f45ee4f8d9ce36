"""The ``luciorbes`` janitor: finds every luciorbe, classifies it, and purges what nobody keeps alive.

Fast path: the luciorbes daemons recorded under ``.kin/run/luciorbes/`` are
checked without walking. Slow path (option ``full``, the default): a walk of
the workspace (or of ``under``) finds the ones nobody recorded. Cleaning:
``dead`` are removed, ``stale`` and ``malformed`` quarantined (removed with
``hard``), ``alive`` left alone, ``foreign`` only reported; records of dead
daemons are dropped and expired quarantine items deleted.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from shadeos_core.errors import KinError
from shadeos_core.janitor import Cleanup, Janitor
from shadeos_core.luciorbe_guard import drop_record, locate
from shadeos_core.luciorbe_record import read_records
from shadeos_core.workspace import Workspace

from . import guard
from .config import LuciorbeSettings
from .quarantine import Quarantine
from .sighting import Classifier, Sighting, relative_path
from .walk import DirId, walk_luciorbes

__all__ = ["LuciorbeJanitor"]


class LuciorbeJanitor(Janitor):
    """Options: ``full`` (bool, default True: also walk the tree), ``under`` (a directory inside the
    workspace: only luciorbes beneath it), ``settings`` (a :class:`LuciorbeSettings`; default: kin.toml)."""

    description = "luciorbes whose owner died or went silent: removes dead ones, quarantines stale and malformed ones"

    def __init__(self, workspace: Workspace, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(workspace, options)
        settings = self.options.get("settings")
        if not isinstance(settings, LuciorbeSettings):
            settings = LuciorbeSettings.from_workspace(workspace)
        self.settings = settings
        self.full = bool(self.options.get("full", True))
        under = self.options.get("under")
        self.under: Path | None = workspace.inside(under, what="luciorbe directory") if under is not None else None
        if self.under is not None and not self.under.is_dir():
            raise KinError(f"{workspace.relative(self.under)} is not a directory",
                           hint="give a directory to look under")

    # -- finding ---------------------------------------------------------------------
    def sightings(self) -> list[Sighting]:
        """Every luciorbe found (recorded ones, then walked ones), classified, each once."""
        classifier = Classifier(self.settings)
        seen: set[str] = set()
        found: list[Sighting] = []
        for path, dir_id in self._recorded():
            if path in seen:
                continue
            seen.add(path)
            sighting = classifier.classify(path, dir_id)
            if sighting is not None:
                found.append(sighting)
        if self.full:
            root = self.under or self.workspace.root
            skip = {str(self.workspace.kin_dir)}
            for hit in walk_luciorbes(root, skip_names=self.settings.skip, skip_paths=skip):
                path = hit.path
                if path in seen:
                    continue
                seen.add(path)
                sighting = classifier.classify(path, hit.dir_id)
                if sighting is not None:
                    found.append(sighting)
        return found

    def _recorded(self) -> Iterator[tuple[str, DirId]]:
        within = str(self.under if self.under is not None else self.workspace.root)
        for record in read_records(self.workspace):
            for raw in record.paths:
                # a record never makes the janitor touch anything but a luciorbe inside the workspace (or PATH)
                located = locate(raw, within)
                if located is not None:
                    yield located.path, located.dir_id

    def relative(self, path: str) -> str:
        """``path`` relative to the workspace root, without resolving it (it may be a symlink)."""
        return relative_path(self.workspace.root, path)

    def scan(self) -> list[Cleanup]:
        """What there is, changing nothing: one ``Cleanup`` per luciorbe (action ``none``)."""
        return [self._cleanup(s, "none") for s in self.sightings()]

    # -- cleaning --------------------------------------------------------------------
    def clean(self, *, dry_run: bool = False, hard: bool = False) -> list[Cleanup]:
        """Apply the rules; ``hard`` removes stale and malformed ones instead of quarantining them.

        Never touches ``alive`` or ``foreign`` ones. With ``dry_run`` nothing changes
        and each ``Cleanup`` carries ``dry_run: true`` and the action that would be taken.
        """
        quarantine = Quarantine(self.workspace, self.settings.quarantine_expiry)
        done: list[Cleanup] = []
        for sighting in self.sightings():
            done.append(self._apply(sighting, quarantine, dry_run=dry_run, hard=hard))
        done.extend(self._drop_dead_records(dry_run))
        if self.under is None:
            done.extend(quarantine.expire(dry_run=dry_run))
        return done

    def _apply(self, sighting: Sighting, quarantine: Quarantine, *, dry_run: bool, hard: bool) -> Cleanup:
        state = sighting.state
        if state == "alive":
            return self._cleanup(sighting, "none", dry_run=dry_run)
        if state == "foreign":
            return self._cleanup(sighting, "reported", dry_run=dry_run)
        action = "removed" if state == "dead" or hard else "quarantined"
        if dry_run:
            return self._cleanup(sighting, action, dry_run=True)
        extra: dict[str, Any] = {}
        try:
            if action == "removed":
                guard.remove(sighting)
            else:
                extra["quarantined_to"] = quarantine.put(sighting)
        except guard.Changed as exc:
            return self._cleanup(sighting, "none", detail=f"{sighting.detail}; left alone: {exc}")
        except OSError as exc:
            return self._cleanup(sighting, "none", detail=f"{sighting.detail}; could not act: {exc.strerror}")
        return self._cleanup(sighting, action, **extra)

    def _drop_dead_records(self, dry_run: bool) -> list[Cleanup]:
        """Records whose daemon process is gone and none of whose luciorbes remain."""
        if self.under is not None:
            return []
        done: list[Cleanup] = []
        for record in read_records(self.workspace):
            if record.owner_alive() or any(os.path.lexists(p) for p in record.paths):
                continue
            if not dry_run and not drop_record(record):
                continue  # gone, or rewritten by a new process of that daemon since it was read
            done.append(Cleanup(self.workspace.relative(record.file), "dead", "removed",
                                f"record of daemon {record.daemon_id!r}, whose process is gone",
                                {"daemon_id": record.daemon_id, "record": True, "dry_run": dry_run}))
        return done

    def _cleanup(self, sighting: Sighting, action: str, *, dry_run: bool = False, detail: str | None = None,
                 **extra: Any) -> Cleanup:
        data = {**sighting.facts(), "dry_run": dry_run, **extra}
        return Cleanup(self.relative(sighting.path), sighting.state, action,
                       sighting.detail if detail is None else detail, data)
