"""Role prompts: Jinja2 templates, shipped with the plugin or the project's own.

Where a role's template comes from, first found first: the agent's
``prompt`` key (a template file in the project), ``prompts/<role>.md.j2``
in the project, then the builtin ``roles/<role>.md.j2``. Every template may
``{% extends "base.md.j2" %}`` and fill its blocks. Templates render in
Jinja2's sandbox. The variables a template receives are listed in
:data:`VARIABLES`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadeos_core.errors import ConfigError

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment

__all__ = ["ROLES_DIR", "VARIABLES", "builtin_roles", "RoleTemplates", "prompt_source"]

ROLES_DIR = Path(__file__).resolve().parent / "roles"
#: What a role template can use.
VARIABLES = {
    "role": "the agent's role", "daemon_id": "its id (team.name)", "team": "its team's name",
    "mission": "the text of the mission file", "phase": "the project's phase (expansion, convergence) or none",
    "map_summary": "a summary of the project map", "tasks": "queued tasks it may take (texts)",
    "teammates": "the other agents of the team ({name, role, state, task, last}: last = their last cycle)",
    "queue": "the team's task queue, queued and claimed ({text, to, holder, state})",
    "conflicts": "two agents on one file, as the orchestrator sees them (texts)",
    "history": "its recent cycles, newest first ({task, outcome, edited})",
    "memories": "memories relevant to the task (texts)", "files": "files of the task ({path, content})",
    "omitted": "files left out for the context budget", "may_change": "its files globs (empty: anything)",
    "commands": "commands it may run", "task": "the task being worked on (empty while choosing one)",
}


def builtin_roles() -> set[str]:
    """Roles whose prompt ships with the plugin."""
    return {p.name.removesuffix(".md.j2") for p in ROLES_DIR.glob("*.md.j2") if p.name != "base.md.j2"}


def prompt_source(root: Path, role: str, prompt: str | None) -> dict[str, Any]:
    """Where a role's template comes from (as :class:`RoleTemplates` finds it: a ``prompt`` key wins, even
    naming a file that is missing, which the agent then refuses), the project file a changed prompt belongs
    in, and the template's text (``None`` when there is none or it cannot be read)."""
    override = f"prompts/{role}.md.j2"
    if prompt:
        return {"source": "team file", "file": Path(prompt).as_posix(), "text": _text_of(root / prompt)}
    for source, path in (("project override", root / override), ("builtin", ROLES_DIR / f"{role}.md.j2")):
        if path.is_file():
            return {"source": source, "file": override, "text": _text_of(path)}
    return {"source": "none", "file": override, "text": None}


def _text_of(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


@lru_cache(maxsize=8)
def _environment(project_root: str) -> SandboxedEnvironment:
    from jinja2 import FileSystemLoader, TemplateNotFound
    from jinja2.sandbox import SandboxedEnvironment

    from shadeos_core.workspace import Workspace

    from .policy import PathPolicy, Refused

    root = Path(project_root)
    policy = PathPolicy(Workspace(root))

    class ProjectLoader(FileSystemLoader):
        """Templates of the project and the plugin; never a secret, nor kin's or git's state (an include of
        ``.env`` in a template would put a secret in every prompt)."""

        def get_source(self, environment: Any, template: str) -> Any:
            try:
                policy.check_read(template)
            except Refused as exc:
                raise TemplateNotFound(f"{template} ({exc.reason})") from None
            return super().get_source(environment, template)

    loader = ProjectLoader([str(root / "prompts"), str(ROLES_DIR), str(root)])
    return SandboxedEnvironment(loader=loader, autoescape=False, keep_trailing_newline=True, trim_blocks=False)


class RoleTemplates:
    """Finds and renders role templates for one project."""

    def __init__(self, project_root: Path) -> None:
        self.root = project_root
        self.env = _environment(str(project_root))

    def name_for(self, role: str, prompt: str | None) -> str:
        """The template name for a role (``prompt`` wins), or :class:`ConfigError` when there is none."""
        if prompt:
            if not (self.root / prompt).is_file():
                raise ConfigError(f"prompt file {prompt!r} does not exist",
                                  hint="give a Jinja2 template path relative to the project root")
            return prompt
        name = f"{role}.md.j2"
        if (self.root / "prompts" / name).is_file() or (ROLES_DIR / name).is_file():
            return name
        raise ConfigError(f"no prompt for role {role!r}",
                          hint=f"builtin roles: {', '.join(sorted(builtin_roles()))}; or add prompts/{role}.md.j2 "
                               "or a prompt = \"…\" key")

    def load(self, role: str, prompt: str | None) -> Template:
        """The compiled template; a syntax error is a :class:`ConfigError` naming its file and line."""
        from jinja2 import TemplateError, TemplateSyntaxError

        name = self.name_for(role, prompt)
        try:
            return self.env.get_template(name)
        except TemplateSyntaxError as exc:
            where = f"{exc.filename or name}:{exc.lineno}"
            raise ConfigError(f"template syntax error: {exc.message}", where=where) from None
        except TemplateError as exc:
            raise ConfigError(f"cannot load the prompt template {name}: {exc}") from None

    def render(self, template: Template, variables: dict[str, Any]) -> str:
        from jinja2 import TemplateError

        try:
            return template.render(**variables)
        except TemplateError as exc:
            raise ConfigError(f"the prompt template {template.name} failed to render: {exc}") from None
