"""The resolved spec a runner hosts: ``.kin/run/specs/<daemon_id>.json``, written by whoever starts it.

The orchestrator resolves a team once, when it starts. Each child it starts
gets that resolved team and the name of its daemon in this file (written
atomically before the start), so the child runs what the orchestrator
supervises even if the team files changed since. The file is input like any
other: one that cannot be read as a spec is a one-line error.

```json
{"schema": 1, "daemon": "production",
 "team": {"name": "coding", "source": "/project/teams/coding.toml", "source_kind": "project",
          "source_prefix": [], "description": "", "mission": "", "settings": {}, "phases": {},
          "meta": [{"name": "janitor", "type": "janitor", …}], "daemons": [{"name": "production", …}]}}
```
"""
from __future__ import annotations

import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .fsio import atomic_write_text
from .team import DaemonSpec, Team, TeamSource
from .workspace import Workspace, check_name

__all__ = ["SCHEMA", "spec_path", "write_spec", "remove_specs", "read_spec", "UnserialisableSpec"]

SCHEMA = 1
_HINT = "start the team again (kin <team>), or run the daemon with --team and --daemon alone"


class UnserialisableSpec(ValueError):
    """A team whose values have no JSON form (a TOML date among a daemon's options)."""


def spec_path(workspace: Workspace, daemon_id: str) -> Path:
    return workspace.kin_dir / "run" / "specs" / f"{check_name(daemon_id, what='daemon id')}.json"


def write_spec(workspace: Workspace, team: Team, spec: DaemonSpec) -> Path:
    """Write the spec of ``spec`` (a member of ``team``) atomically; its path. Raises :class:`UnserialisableSpec`
    when the team cannot be written as JSON, ``OSError`` when the disk refuses."""
    body = {"schema": SCHEMA, "daemon": spec.name, "team": _team_json(team)}
    try:
        text = json.dumps(body, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise UnserialisableSpec(str(exc)) from None
    path = spec_path(workspace, spec.daemon_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return path


def remove_specs(workspace: Workspace, team: Team) -> None:
    for spec in team.members():
        try:
            os.unlink(spec_path(workspace, spec.daemon_id))
        except OSError:
            pass


def read_spec(path: str | os.PathLike[str]) -> tuple[Team, DaemonSpec]:
    """The team and the daemon a spec file names; a :class:`ConfigError` (one line) for a file that cannot
    be read or is not a spec."""
    where = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(16 * 2**20)
        data = json.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the daemon spec: {exc.strerror or exc}", where=where, hint=_HINT) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ConfigError(f"damaged daemon spec (not JSON: {str(exc).splitlines()[0][:120]})", where=where,
                          hint=_HINT) from None
    try:
        return _parse(data)
    except _Damaged as exc:
        raise ConfigError(f"damaged daemon spec: {exc}", where=where, hint=_HINT) from None


class _Damaged(ValueError):
    pass


def _team_json(team: Team) -> dict[str, Any]:
    return {"name": team.name, "source": str(team.source.path), "source_kind": team.source.kind,
            "source_prefix": list(team.source.prefix), "description": team.description, "mission": team.mission,
            "settings": team.settings, "phases": team.phases,
            "meta": [_spec_json(s) for s in team.meta.values()],
            "daemons": [_spec_json(s) for s in team.daemons.values()]}


def _spec_json(spec: DaemonSpec) -> dict[str, Any]:
    return {f.name: getattr(spec, f.name) for f in fields(spec)}


#: The JSON types of each :class:`DaemonSpec` field (``None`` allowed where the field allows it).
_SPEC_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "type": (str,), "team": (str,), "meta": (bool,), "every": (int, float, type(None)),
    "on_message": (bool,), "watch": (list,), "debounce": (int, float), "restart": (str,),
    "start_seconds": (int, float), "start_retries": (int,), "stop_timeout": (int, float), "heartbeat": (int, float),
    "stale_after": (int, float, type(None)), "workdir": (str,), "talks_to": (list, type(None)), "enabled": (bool,),
    "description": (str,), "options": (dict,),
}


def _need(value: Any, kinds: tuple[type, ...], what: str) -> Any:
    # bool is an int to Python, never to a spec
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise _Damaged(f"{what} is {type(value).__name__}, not {' or '.join(k.__name__ for k in kinds)}")
    return value


def _parse_spec(raw: Any, team: str, what: str) -> DaemonSpec:
    _need(raw, (dict,), what)
    unknown = set(raw) - set(_SPEC_TYPES)
    if unknown:
        raise _Damaged(f"{what} has unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    missing = {"name", "type", "team"} - set(raw)
    if missing:
        raise _Damaged(f"{what} lacks {', '.join(sorted(missing))}")
    values = {key: _need(value, _SPEC_TYPES[key], f"{what}.{key}") for key, value in raw.items()}
    for key in ("watch", "talks_to"):
        for item in values.get(key) or []:
            _need(item, (str,), f"{what}.{key}[]")
    if values["team"] != team:
        raise _Damaged(f"{what} belongs to team {values['team']!r}, not {team!r}")
    return DaemonSpec(**values)


def _parse(data: Any) -> tuple[Team, DaemonSpec]:
    _need(data, (dict,), "the spec")
    if data.get("schema") != SCHEMA:
        raise _Damaged(f"schema {data.get('schema')!r}, expected {SCHEMA}")
    daemon = _need(data.get("daemon"), (str,), "daemon")
    raw = _need(data.get("team"), (dict,), "team")
    name = _need(raw.get("name"), (str,), "team.name")
    prefix = _need(raw.get("source_prefix", []), (list,), "team.source_prefix")
    source = TeamSource(path=Path(_need(raw.get("source", ""), (str,), "team.source")),
                        prefix=tuple(_need(p, (str,), "team.source_prefix[]") for p in prefix),
                        kind=_need(raw.get("source_kind", "project"), (str,), "team.source_kind"))
    phases = _need(raw.get("phases", {}), (dict,), "team.phases")
    for phase, names in phases.items():
        for item in _need(names, (list,), f"team.phases.{phase}"):
            _need(item, (str,), f"team.phases.{phase}[]")
    members: dict[str, dict[str, DaemonSpec]] = {"meta": {}, "daemons": {}}
    for section, table in members.items():
        for i, entry in enumerate(_need(raw.get(section, []), (list,), f"team.{section}")):
            spec = _parse_spec(entry, name, f"team.{section}[{i}]")
            table[spec.name] = spec
    team = Team(name=name, source=source, description=_need(raw.get("description", ""), (str,), "team.description"),
                mission=_need(raw.get("mission", ""), (str,), "team.mission"), daemons=members["daemons"],
                meta=members["meta"], phases=phases, settings=_need(raw.get("settings", {}), (dict,), "team.settings"))
    for spec in team.members():
        if spec.name == daemon:
            return team, spec
    raise _Damaged(f"team {name!r} has no daemon {daemon!r}")
