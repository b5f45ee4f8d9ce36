"""What the Agents page reads: the files the agents plugin publishes under ``.kin/agents/<daemon_id>/``
(``agent.json``, ``history.jsonl``; format in docs/plugins/agents.md), the diff of each commit a cycle made
(``git show``), and the role prompt an agent runs with: the team file's ``prompt``, else the project's
override ``prompts/<role>.md.j2``, else the template the agents plugin ships (package data, read as a file).
Every record is untrusted input: what has the wrong type is dropped.
"""
from __future__ import annotations

import contextlib
import json
import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shadeos_core.errors import KinError, UsageError
from shadeos_core.fsio import atomic_write_text
from shadeos_core.workspace import check_name

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel
    from shadeos_core.workspace import Workspace

__all__ = ["agent_ids", "agent_status", "history", "commit_diff", "role_prompt", "save_prompt"]

MAX_CYCLES = 50
MAX_DIFF_LINES = 400
_SHA = re.compile(r"[0-9a-f]{7,64}")


def agent_ids(workspace: Workspace) -> list[str]:
    """Every agent that ever ran here (a directory ``.kin/agents/<team>.<name>/``)."""
    root = workspace.kin_dir / "agents"
    with contextlib.suppress(OSError):
        return sorted(p.name for p in root.iterdir() if p.is_dir() and "." in p.name)
    return []


def _read_object(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="surrogateescape"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def agent_status(workspace: Workspace, daemon_id: str) -> dict[str, Any]:
    """``agent.json``: role, model, state, cycles, token totals, last task (``{}`` when absent)."""
    return _read_object(workspace.kin_dir / "agents" / check_name(daemon_id, what="agent id") / "agent.json")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _cycle(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    steps = [s for s in raw.get("steps", []) if isinstance(s, dict)] if isinstance(raw.get("steps"), list) else []
    edits = [e for e in raw.get("edits", []) if isinstance(e, dict)] if isinstance(raw.get("edits"), list) else []
    tools: dict[str, int] = {}
    for step in steps:
        name = _text(step.get("tool"))
        if name:
            tools[name] = tools.get(name, 0) + 1
    commit = _text(raw.get("commit"))
    return {"time": _text(raw.get("time")), "cycle": _int(raw.get("cycle")), "task": _text(raw.get("task")),
            "task_source": _text(raw.get("task_source")), "model": _text(raw.get("model")), "tools": tools,
            "edits": [_text(e.get("path")) for e in edits if _text(e.get("path"))],
            "commit": commit if _SHA.fullmatch(commit) else "", "input_tokens": _int(raw.get("input_tokens")),
            "output_tokens": _int(raw.get("output_tokens")), "outcome": _text(raw.get("outcome")),
            "error": _text(raw.get("error")), "summary": _text(raw.get("summary")),
            "duration": raw.get("duration") if isinstance(raw.get("duration"), (int, float)) else None}


def history(workspace: Workspace, daemon_id: str, limit: int = MAX_CYCLES) -> list[dict[str, Any]]:
    """The agent's cycles, newest first (at most ``limit``); damaged lines are skipped."""
    path = workspace.kin_dir / "agents" / check_name(daemon_id, what="agent id") / "history.jsonl"
    try:
        lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError:
        return []
    cycles: list[dict[str, Any]] = []
    for line in reversed(lines):
        if len(cycles) >= limit:
            break
        with contextlib.suppress(ValueError):
            cycle = _cycle(json.loads(line))
            if cycle is not None:
                cycles.append(cycle)
    return cycles


def commit_diff(root: Path, sha: str) -> str:
    """The commit ``sha`` as ``git show`` prints it (stat and patch), cut at :data:`MAX_DIFF_LINES` lines."""
    if not _SHA.fullmatch(sha):
        raise UsageError(f"not a commit id: {sha!r}")
    return _diff(str(root), sha)


@lru_cache(maxsize=256)  # a commit never changes
def _diff(root: str, sha: str) -> str:
    try:
        out = subprocess.run(["git", "show", "--no-color", "--stat", "--patch", "--format=%h %an  %ad%n%n%s%n",
                              "--date=iso", sha, "--"], cwd=root, capture_output=True, timeout=20,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"(git show failed: {exc})"
    if out.returncode != 0:
        return f"(git show {sha}: {out.stderr.decode(errors='replace').strip()})"
    lines = out.stdout.decode("utf-8", errors="replace").splitlines()
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"… {len(lines) - MAX_DIFF_LINES} more lines (git show {sha[:12]})"]
    return "\n".join(lines)


def _spec(kernel: Kernel, cwd: str, daemon_id: str) -> Any:
    with contextlib.suppress(KinError):
        teams = kernel.teams(cwd=cwd)
        team, _, name = daemon_id.partition(".")
        if team in teams.teams:
            return teams.teams[team].daemons.get(name)
    return None


def role_prompt(kernel: Kernel, cwd: str, daemon_id: str) -> dict[str, Any]:
    """The prompt agent ``daemon_id`` runs with, as the agents plugin finds it (its ``agent_prompt`` hook):
    ``role``, ``source`` (``team file``, ``project override``, ``builtin`` or ``none``), ``file`` (where saving
    writes, relative to the root), ``text`` (``None``: not found, or no agents plugin to say)."""
    workspace = kernel.workspace
    spec = _spec(kernel, cwd, daemon_id)
    options = getattr(spec, "options", {}) or {}
    role = _text(agent_status(workspace, daemon_id).get("role")) or _text(options.get("role")) or "agent"
    check_name(role, what="role")
    prompt = _text(options.get("prompt")) or None
    if prompt:
        workspace.inside(prompt, what="prompt")  # a team file naming a path outside the project: one line
    found = kernel.hooks.call("agent_prompt", workspace=workspace, role=role, prompt=prompt) \
        if kernel.hooks.has("agent_prompt") else None
    if not isinstance(found, dict):
        return {"role": role, "source": "none", "file": prompt or f"prompts/{role}.md.j2", "text": None}
    return {"role": role, "source": str(found.get("source", "")), "file": str(found.get("file", "")),
            "text": found.get("text") if isinstance(found.get("text"), str) else None}


def save_prompt(kernel: Kernel, cwd: str, daemon_id: str, text: str) -> str:
    """Write ``text`` where :func:`role_prompt` says, once it parses as a Jinja2 template; the file written."""
    from jinja2 import Environment, TemplateSyntaxError

    if not text.strip():
        raise UsageError("a prompt cannot be empty")
    try:
        Environment().parse(text)
    except TemplateSyntaxError as exc:
        raise UsageError(f"template syntax error on line {exc.lineno}: {exc.message}", hint="nothing was saved") \
            from None
    target = str(role_prompt(kernel, cwd, daemon_id)["file"])
    path = kernel.workspace.inside(target, what="prompt file")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text.replace("\r\n", "\n"))
    return target
