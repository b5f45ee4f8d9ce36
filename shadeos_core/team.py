"""Team files: discovery from the current directory upward, precedence, and validation.

Sources, highest precedence first, nearest directory first: ``kin.toml``
(``[teams.<name>]``), ``teams/*.toml``, ``.kin/teams/*.toml``; then teams
shipped by plugins (``register_teams``). A project team overrides a plugin
team of the same name.
"""
from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .durations import check_count, parse_duration
from .errors import ConfigError, KinError, UsageError
from .tomlpos import locate
from .workspace import Workspace, check_name

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = ["Team", "DaemonSpec", "TeamSet", "TeamSource", "RESTART_POLICIES", "DAEMON_KEYS", "TEAM_KEYS"]

RESTART_POLICIES = ("on-failure", "always", "never")
#: Keys of ``[team]``; supervision settings are read by the ``run_team`` provider.
TEAM_KEYS = {"name": str, "description": str, "mission": str, "cycle": "duration", "stop_timeout": "duration",
             "late_limit": "duration", "flap_restarts": int, "flap_window": "duration"}
#: Keys every daemon accepts; any other key must be declared by the daemon type's ``OPTIONS``.
DAEMON_KEYS = {"type": str, "every": "duration", "on_message": bool, "watch": list, "debounce": "duration",
               "restart": str, "start_seconds": "duration", "start_retries": int, "stop_timeout": "duration",
               "heartbeat": "duration", "stale_after": "duration", "workdir": str, "talks_to": list,
               "enabled": bool, "description": str}
#: The tables of a team file; a TOML file in teams/ with none of them is not one (kin leaves it alone).
TEAM_TABLES = ("team", "daemons", "meta", "phases")


def is_team_file(data: dict[str, Any]) -> bool:
    """Whether a TOML file of ``teams/`` is meant as a team: it has a team's table, or a key so close to one
    (``[teem]``, ``[daemon]``) that it is a team with a typo, to be reported, not another tool's file."""
    return any(key in data for key in TEAM_TABLES) or any(
        difflib.get_close_matches(str(key), TEAM_TABLES, n=1, cutoff=0.7) for key in data)
#: Durations where 0 means nothing (a cycle every 0 s, a heartbeat every 0 s…).
POSITIVE_DURATIONS = frozenset({"every", "heartbeat", "cycle", "stale_after", "late_limit", "flap_window", "timeout"})
#: Whole numbers of the team file and their ranges.
COUNTS = {"start_retries": (0, 1000), "flap_restarts": (1, 100_000)}


@dataclass
class DaemonSpec:
    """One daemon of a team as the team file describes it (``options`` are the type-specific keys)."""

    name: str
    type: str
    team: str
    meta: bool = False
    every: float | None = None
    on_message: bool = False
    watch: list[str] = field(default_factory=list)
    debounce: float = 0.2
    restart: str = "on-failure"
    start_seconds: float = 1.0
    start_retries: int = 3
    stop_timeout: float = 10.0
    heartbeat: float = 5.0
    stale_after: float | None = None
    workdir: str = "."
    talks_to: list[str] | None = None
    enabled: bool = True
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def daemon_id(self) -> str:
        return f"{self.team}.{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "daemon_id": self.daemon_id, "type": self.type, "meta": self.meta,
                "every": self.every, "on_message": self.on_message, "watch": self.watch, "debounce": self.debounce,
                "restart": self.restart, "start_seconds": self.start_seconds, "start_retries": self.start_retries,
                "stop_timeout": self.stop_timeout, "heartbeat": self.heartbeat, "stale_after": self.stale_after,
                "workdir": self.workdir, "talks_to": self.talks_to, "enabled": self.enabled,
                "description": self.description, "options": self.options}


@dataclass
class TeamSource:
    """Where a team was read from: a file, the key prefix inside it, and what kind of source it is."""

    path: Path
    prefix: tuple[str, ...] = ()
    kind: str = "project"  # project | plugin:<name>

    def label(self, root: Path | None = None) -> str:
        try:
            shown = self.path.relative_to(root).as_posix() if root else str(self.path)
        except ValueError:
            shown = str(self.path)
        return shown if self.kind == "project" else f"{shown} ({self.kind})"


@dataclass
class Team:
    """A resolved team: its daemons and meta-daemons, phases and supervision settings."""

    name: str
    source: TeamSource
    description: str = ""
    mission: str = ""
    daemons: dict[str, DaemonSpec] = field(default_factory=dict)
    meta: dict[str, DaemonSpec] = field(default_factory=dict)
    phases: dict[str, list[str]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def members(self) -> list[DaemonSpec]:
        """Every daemon and meta-daemon, meta-daemons first."""
        return [*self.meta.values(), *self.daemons.values()]

    def member(self, name: str) -> DaemonSpec:
        for spec in self.members():
            if spec.name == name or spec.daemon_id == name:
                return spec
        raise UsageError(f"team {self.name!r} has no daemon {name!r}",
                       hint="members: " + ", ".join(s.name for s in self.members()))

    def active_in(self, phase: str | None) -> list[DaemonSpec]:
        """Members that run in ``phase``: all of them when there is no phase or the team has no
        ``[phases]``; otherwise meta-daemons, daemons named by that phase, and daemons no phase names."""
        if phase is None or not self.phases:
            return [s for s in self.members() if s.enabled]
        named = {n for names in self.phases.values() for n in names}
        wanted = set(self.phases.get(phase, []))
        return [s for s in self.members() if s.enabled and (s.meta or s.name in wanted or s.name not in named)]

    def to_json(self, root: Path | None = None) -> dict[str, Any]:
        return {"name": self.name, "source": self.source.label(root), "description": self.description,
                "mission": self.mission, "settings": self.settings, "phases": self.phases,
                "meta": [s.to_json() for s in self.meta.values()],
                "daemons": [s.to_json() for s in self.daemons.values()]}


class _Validator:
    """Turns one raw team table into a :class:`Team`, raising errors that point at file, key and line."""

    def __init__(self, source: TeamSource, text: str, kernel: Kernel | None, *, check_values: bool = True) -> None:
        self.source = source
        self.text = text
        self.kernel = kernel
        self.check_values = check_values

    def fail(self, keys: tuple[str, ...], message: str, hint: str | None = None) -> ConfigError:
        full = self.source.prefix + keys
        line = locate(self.text, full)
        where = f"{self.source.path}:{line}" if line else str(self.source.path)
        key_path = ".".join(full)
        return ConfigError(f"{key_path}: {message}" if key_path else message, where=where, hint=hint)

    def unknown_key(self, keys: tuple[str, ...], known: list[str]) -> ConfigError:
        close = difflib.get_close_matches(keys[-1], known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(known))}"
        return self.fail(keys, "unknown key", hint)

    def value(self, keys: tuple[str, ...], raw: Any, kind: Any) -> Any:
        if kind == "duration":
            try:
                return parse_duration(raw, positive=keys[-1] in POSITIVE_DURATIONS)
            except ConfigError as exc:
                raise self.fail(keys, exc.message, exc.hint) from None
        if kind is int and keys[-1] in COUNTS:
            low, high = COUNTS[keys[-1]]
            try:
                return check_count(raw, minimum=low, maximum=high, what="number")
            except ConfigError as exc:
                raise self.fail(keys, exc.message, exc.hint) from None
        if isinstance(raw, float) and (raw != raw or raw in (float("inf"), float("-inf"))):
            raise self.fail(keys, f"expected a finite number, got {raw!r}")
        if kind is list:
            if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
                raise self.fail(keys, f"expected a list of strings, got {raw!r}")
            return list(raw)
        expected = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(raw, expected) or (isinstance(raw, bool) and bool not in expected):
            names = " or ".join(k.__name__ for k in expected)
            raise self.fail(keys, f"expected {names}, got {raw!r}")
        return raw

    def team(self, raw: dict[str, Any], default_name: str) -> Team:
        for key in raw:
            if key not in TEAM_TABLES:
                raise self.unknown_key((key,), list(TEAM_TABLES))
        head = self.table(raw, "team")
        for key in head:
            if key not in TEAM_KEYS:
                raise self.unknown_key(("team", key), list(TEAM_KEYS))
        name = self.value(("team", "name"), head.get("name", default_name), str)
        if name != default_name and self.source.prefix:
            raise self.fail(("team", "name"), f"says {name!r} but the table is [teams.{default_name}]",
                            hint="make them agree or drop team.name")
        try:
            check_name(name, what="team name")
        except KinError as exc:
            raise self.fail(("team", "name"), exc.message, exc.hint) from None
        settings = {k: self.value(("team", k), v, TEAM_KEYS[k]) for k, v in head.items()
                    if k not in ("name", "description", "mission")}
        team = Team(name=name, source=self.source, settings=settings,
                    description=self.value(("team", "description"), head.get("description", ""), str),
                    mission=self.value(("team", "mission"), head.get("mission", ""), str))
        for section, meta in (("meta", True), ("daemons", False)):
            for dname, body in self.table(raw, section).items():
                if not isinstance(body, dict):
                    raise self.fail((section, dname), "must be a table", hint=f"write [{section}.{dname}]")
                spec = self.daemon(section, dname, body, name, meta)
                if spec.name in team.daemons or spec.name in team.meta:
                    raise self.fail((section, dname), "a daemon and a meta-daemon share this name",
                                    hint="rename one of them")
                (team.meta if meta else team.daemons)[spec.name] = spec
        self.phases(raw, team)
        self.talks_to(team)
        return team

    def table(self, raw: dict[str, Any], key: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail((key,), "must be a table", hint=f"write [{key}] or [{key}.<name>]")
        return value

    def daemon(self, section: str, dname: str, body: dict[str, Any], team: str, meta: bool) -> DaemonSpec:
        keys = (section, dname)
        try:
            check_name(dname, what="daemon name")
        except KinError as exc:
            raise self.fail(keys, exc.message, exc.hint) from None
        dtype = body.get("type", dname if meta else None)
        if dtype is None:
            raise self.fail(keys, "has no type", hint='add type = "<daemon type>" (see kin plugins)')
        dtype = self.value(keys + ("type",), dtype, str)
        cls = self.resolve_type(keys, dtype, meta)
        declared = getattr(cls, "OPTIONS", {}) if cls is not None else None
        fields: dict[str, Any] = {}
        options: dict[str, Any] = {}
        for key, raw_value in body.items():
            if key == "type":
                continue
            if key in DAEMON_KEYS:
                fields[key] = self.value(keys + (key,), raw_value, DAEMON_KEYS[key])
            elif declared is None:
                options[key] = raw_value
            elif key in declared:
                options[key] = self.value(keys + (key,), raw_value, declared[key])
            else:
                raise self.unknown_key(keys + (key,), [*DAEMON_KEYS, *declared])
        if fields.get("restart", "on-failure") not in RESTART_POLICIES:
            raise self.fail(keys + ("restart",), f"must be one of {', '.join(RESTART_POLICIES)}")
        workdir = fields.get("workdir", ".")
        if os.path.isabs(workdir) or ".." in Path(workdir).parts:
            raise self.fail(keys + ("workdir",), f"{workdir!r} leads outside the workspace",
                            hint="use a path relative to the project root, without '..'")
        for pattern in fields.get("watch", []):
            if pattern.startswith("/") or ".." in pattern.split("/"):
                raise self.fail(keys + ("watch",), f"{pattern!r} leads outside the workspace",
                                hint="use globs relative to the project root")
        spec = DaemonSpec(name=dname, type=dtype, team=team, meta=meta, options=options, **fields)
        check = getattr(cls, "check_options", None)
        if check is not None and self.kernel is not None and self.check_values:
            from .daemon import OptionError

            try:
                check(spec, self.kernel)
            except OptionError as exc:
                raise self.fail(keys + (exc.key,), exc.message, exc.hint) from None
        return spec

    def resolve_type(self, keys: tuple[str, ...], dtype: str, meta: bool) -> type | None:
        if self.kernel is None:
            return None
        registry = self.kernel.meta_daemon_types if meta else self.kernel.daemon_types
        if dtype in registry:
            return registry[dtype]
        close = registry.closest(dtype)
        what = "meta-daemon" if meta else "daemon"
        if close:
            hint = f"did you mean {close!r}?"
        elif len(registry):
            hint = f"installed {what} types: {', '.join(registry)}"
        else:
            hint = f"no {what} types are installed; see kin plugins"
        raise self.fail(keys + (("type",) if not meta or keys[-1] != dtype else ()),
                        f"unknown {what} type {dtype!r}", hint)

    def phases(self, raw: dict[str, Any], team: Team) -> None:
        members = {s.name for s in team.members()}
        for phase, body in self.table(raw, "phases").items():
            if not isinstance(body, dict):
                raise self.fail(("phases", phase), "must be a table", hint=f"write [phases.{phase}]")
            for key in body:
                if key != "daemons":
                    raise self.unknown_key(("phases", phase, key), ["daemons"])
            names = self.value(("phases", phase, "daemons"), body.get("daemons", []), list)
            for member in names:
                if member not in members:
                    close = difflib.get_close_matches(member, sorted(members), n=1)
                    hint = f"did you mean {close[0]!r}?" if close else f"members: {', '.join(sorted(members))}"
                    raise self.fail(("phases", phase, "daemons"), f"names {member!r}, which is not in the team", hint)
            team.phases[phase] = names

    def talks_to(self, team: Team) -> None:
        members = {s.name for s in team.members()}
        for spec in team.members():
            for target in spec.talks_to or []:
                if target not in members and "." not in target:
                    section = "meta" if spec.meta else "daemons"
                    raise self.fail((section, spec.name, "talks_to"), f"names {target!r}, which is not in the team",
                                    hint="name a member, or a full team.daemon id")


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", where=str(path), hint="check the file's permissions and encoding") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"TOML syntax error: {exc}", where=str(path), hint="fix the syntax") from None


class TeamSet:
    """Every team visible from a directory, with precedence applied and errors kept per source.

    Files are read and parsed at once; a team is validated when it is first
    asked for (:meth:`get`), or all of them when :attr:`teams` or
    :attr:`errors` is read: a process that runs one team never pays for the
    checks of the others (an agent team's model lookup, say). With
    ``check_values=False`` the daemon types' own :meth:`check_options` are
    skipped (a daemon's process: its team was validated before it started).
    """

    def __init__(self, workspace: Workspace, kernel: Kernel | None = None, cwd: str | os.PathLike[str] | None = None,
                 *, check_values: bool = True) -> None:
        self.workspace = workspace
        self.kernel = kernel
        self.check_values = check_values
        self._teams: dict[str, Team] = {}
        self._errors: dict[str, ConfigError] = {}  # team name -> why it is invalid
        self._pending: dict[str, tuple[Any, TeamSource, str]] = {}  # parsed, not validated yet
        self.file_errors: dict[str, ConfigError] = {}  # unreadable file -> why
        self.warnings: list[str] = []
        self.shadowed: dict[str, list[TeamSource]] = {}
        #: TOML files of a teams directory that hold none of the tables of a team file: kin leaves them alone.
        self.not_teams: list[Path] = []
        start = Path(cwd).resolve() if cwd is not None else workspace.root
        self._load(start)

    @property
    def teams(self) -> dict[str, Team]:
        """The valid teams (validating every one not validated yet)."""
        self._validate_all()
        return self._teams

    @property
    def errors(self) -> dict[str, ConfigError]:
        """Team name -> why that team is invalid (validating every one not validated yet)."""
        self._validate_all()
        return self._errors

    def _validate_all(self) -> None:
        for name in list(self._pending):
            self._validate(name)

    def _validate(self, name: str) -> None:
        body, source, text = self._pending.pop(name)
        validator = _Validator(source, text, self.kernel, check_values=self.check_values)
        try:
            if not isinstance(body, dict):
                raise validator.fail((), f"team {name!r} must be a table")
            self._teams[name] = validator.team(body, name)
        except ConfigError as exc:
            exc.source = source  # type: ignore[attr-defined]
            self._errors[name] = exc

    def _directories(self, start: Path) -> list[Path]:
        root = self.workspace.root
        if start != root and root not in start.parents:
            return [root]
        chain = [start]
        while chain[-1] != root:
            chain.append(chain[-1].parent)
        return chain

    def _project_files(self, start: Path) -> list[tuple[Path, bool]]:
        found: list[tuple[Path, bool]] = []
        for directory in self._directories(start):
            if (directory / "kin.toml").is_file():
                found.append((directory / "kin.toml", True))
            for sub in (directory / "teams", directory / ".kin" / "teams"):
                if sub.is_dir():
                    found.extend((p, False) for p in sorted(sub.glob("*.toml")) if p.is_file())
        return found

    def _load(self, start: Path) -> None:
        sources: list[tuple[Path, bool, str]] = [(p, k, "project") for p, k in self._project_files(start)]
        if self.kernel is not None:
            sources.extend((Path(p), False, f"plugin:{plugin}") for p, plugin in self.kernel.team_files)
        for path, is_config, kind in sources:
            try:
                text, data = _read(path)
            except ConfigError as exc:
                self.file_errors[str(path)] = exc
                continue
            if is_config:
                tables = data.get("teams", {})
                if not isinstance(tables, dict):
                    self.file_errors[str(path)] = ConfigError("[teams] must be a table of teams", where=str(path))
                    continue
                entries = [(name, body, TeamSource(path, ("teams", name), kind)) for name, body in tables.items()]
            elif not is_team_file(data):
                self.not_teams.append(path)  # another tool's file that happens to sit in teams/
                continue
            else:
                head = data.get("team", {})
                name = head.get("name", path.stem) if isinstance(head, dict) else path.stem
                entries = [(str(name), data, TeamSource(path, (), kind))]
            for name, body, source in entries:
                self._add(name, body, source, text)

    def _add(self, name: str, body: Any, source: TeamSource, text: str) -> None:
        if name in self._pending:
            winner: TeamSource | None = self._pending[name][1]
            self.shadowed.setdefault(name, []).append(source)
            if winner is not None and winner.kind == "project" and source.kind == "project":
                self.warnings.append(
                    f"team {name!r} is defined in {winner.label(self.workspace.root)} and "
                    f"{source.label(self.workspace.root)}; {winner.label(self.workspace.root)} wins "
                    "(kin.toml, then teams/, then .kin/teams/, nearest directory first)")
            return
        self._pending[name] = (body, source, text)

    def names(self) -> list[str]:
        return sorted({*self._pending, *self._teams, *self._errors})

    def source_of(self, name: str) -> TeamSource | None:
        """Where team ``name`` comes from (without validating it); ``None`` for an unknown name."""
        if name in self._pending:
            return self._pending[name][1]
        if name in self._teams:
            return self._teams[name].source
        error = self._errors.get(name)
        return getattr(error, "source", None)

    def get(self, name: str) -> Team:
        """The team called ``name``, or a clear error (invalid file, or not found with suggestions)."""
        if name in self._pending:
            self._validate(name)
        if name in self._teams:
            return self._teams[name]
        if name in self._errors:
            raise self._errors[name]
        broken = [str(e) for e in self.file_errors.values()]
        known = self.names()
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            hint = f"did you mean {close[0]!r}?"
        elif known:
            hint = f"known teams: {', '.join(known)}"
        else:
            hint = "create one with kin init, or add teams/<name>.toml"
        if broken:
            hint += "; unreadable team files: " + "; ".join(broken)
        raise ConfigError(f"no team named {name!r} in {self.workspace.root}", hint=hint)
