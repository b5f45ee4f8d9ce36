"""The builtin tools (names and arguments fixed by the design): files, commands, memory, messages, tasks."""
from __future__ import annotations

import re
import shlex
from typing import Any

from shadeos_core.errors import KinError

from .gate import EditFailed
from .policy import Refused
from .tools import AgentTool, ToolContext, ToolError

__all__ = ["BUILTIN_TOOLS"]

_MAX_LIST = 500
_MAX_MATCHES = 100
_MAX_OUTPUT = 6000


def _string(name: str, description: str) -> dict[str, Any]:
    return {name: {"type": "string", "description": description}}


def _schema(*props: dict[str, Any], required: tuple[str, ...] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for prop in props:
        properties.update(prop)
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else list(required)}


def list_files(ctx: ToolContext, args: dict[str, Any]) -> str:
    from shadeos_core.globs import GlobSet

    pattern = args.get("pattern") or "**"
    globs = GlobSet([pattern])
    found = [rel for rel in ctx.project_files() if globs.match(rel)]
    if not found:
        return f"no file matches {pattern!r}"
    shown = found[:_MAX_LIST]
    more = f"\n… and {len(found) - _MAX_LIST} more (narrow the pattern)" if len(found) > _MAX_LIST else ""
    return "\n".join(shown) + more


def read_file(ctx: ToolContext, args: dict[str, Any]) -> str:
    try:
        _rel, text = ctx.gate.read(args["path"])
    except (Refused, EditFailed) as exc:
        raise ToolError(str(exc)) from None
    return text


def search_files(ctx: ToolContext, args: dict[str, Any]) -> str:
    try:
        regex = re.compile(args["pattern"])
    except re.error as exc:
        raise ToolError(f"bad regular expression {args['pattern']!r}: {exc}") from None
    root = ctx.workspace.root
    matches: list[str] = []
    for rel in ctx.project_files():
        try:
            data = (root / rel).read_bytes()
        except OSError:
            continue
        if b"\x00" in data[:8192] or len(data) > 2_000_000:
            continue
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
            if regex.search(line):
                matches.append(f"{rel}:{number}: {line[:200]}")
                if len(matches) >= _MAX_MATCHES:
                    return "\n".join(matches) + f"\n… stopped at {_MAX_MATCHES} matches (narrow the pattern)"
    return "\n".join(matches) if matches else f"no line matches {args['pattern']!r}"


def edit_file(ctx: ToolContext, args: dict[str, Any]) -> str:
    try:
        edit = ctx.gate.edit(args["path"], args["search"], args["replace"])
    except (Refused, EditFailed) as exc:
        raise ToolError(str(exc)) from None
    again = " (the file had changed since you read it: your edit was applied to the new content)" \
        if edit.reapplied else ""
    return f"{'created' if edit.op == 'create' else 'edited'} {edit.path}{again}"


def write_file(ctx: ToolContext, args: dict[str, Any]) -> str:
    try:
        edit = ctx.gate.write(args["path"], args["content"])
    except (Refused, EditFailed) as exc:
        raise ToolError(str(exc)) from None
    return f"{'created' if edit.op == 'create' else 'wrote'} {edit.path}"


def run_command(ctx: ToolContext, args: dict[str, Any]) -> str:
    from shadeos_core.execution import CommandSpec

    text = args["command"]
    allowed = ctx.agent.settings.commands
    if not allowed:
        raise ToolError("no command is allowed for this agent (the team file's commands = [...] lists them)")
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise ToolError(f"cannot read {text!r} as a command: {exc}") from None
    if not any(argv[:len(prefix)] == prefix for prefix in allowed):
        raise ToolError(f"{text!r} is not allowed; allowed: " + "; ".join(shlex.join(p) for p in allowed))
    mode_cls = ctx.agent.kernel.execution_modes.get("blocking")
    if mode_cls is None:
        raise ToolError("commands need the process plugin: pip install shadeos-process")
    try:
        result = mode_cls(ctx.workspace).run(CommandSpec(argv, cwd=str(ctx.workspace.root),
                                                         timeout=ctx.agent.settings.command_timeout,
                                                         owner=ctx.agent.daemon_id))
    except KinError as exc:
        raise ToolError(str(exc)) from None
    output = (result.stdout + ("\n" if result.stdout and result.stderr else "") + result.stderr).strip()
    if len(output) > _MAX_OUTPUT:
        output = "…" + output[-_MAX_OUTPUT:]
    status = "timed out" if result.timed_out else f"exit code {result.returncode}"
    ctx.notes.append(f"ran {shlex.join(argv)}: {status}")
    return f"{status}\n{output}"


def recall(ctx: ToolContext, args: dict[str, Any]) -> str:
    hits = ctx.agent.recall(args["query"], limit=8)
    if hits is None:
        raise ToolError("no memory is installed (pip install shadeos-archivist)")
    if not hits:
        return "nothing remembered about that"
    return "\n".join(f"- [{hit.get('stratum')}] {hit.get('summary') or hit.get('content')}" for hit in hits)


def remember(ctx: ToolContext, args: dict[str, Any]) -> str:
    try:
        memory_id = ctx.agent.remember(args["content"], stratum=args.get("stratum") or "somatic")
    except KinError as exc:
        raise ToolError(str(exc)) from None
    if memory_id is None:
        raise ToolError("no memory is installed (pip install shadeos-archivist)")
    ctx.notes.append(f"remembered {memory_id}")
    return f"remembered ({memory_id})"


def send_message(ctx: ToolContext, args: dict[str, Any]) -> str:
    to = args["to"]
    ctx.agent.check_member(to)
    try:
        ctx.agent.send(to, {"text": args["body"]})
    except KinError as exc:
        raise ToolError(str(exc)) from None
    ctx.notes.append(f"sent a message to {to}")
    return f"sent to {to}"


def add_task(ctx: ToolContext, args: dict[str, Any]) -> str:
    from shadeos_core.tasks import TaskQueue

    to = args.get("to") or None
    if to is not None:
        ctx.agent.check_member(to)
    try:
        task = TaskQueue(ctx.workspace).add(args["description"], to=to, by=ctx.agent.daemon_id)
    except KinError as exc:
        raise ToolError(str(exc)) from None
    done = f"queued task {task.id}" + (f" for {to}" if to else "")
    ctx.notes.append(done)
    return done


def finish(ctx: ToolContext, args: dict[str, Any]) -> str:
    ctx.finished = args.get("summary") or "done"
    return "finished"


BUILTIN_TOOLS: dict[str, AgentTool] = {
    "list_files": AgentTool(
        "List the project's files matching a glob (`*` within a name, `**` across directories; "
        "a pattern without `/` matches at any depth).",
        _schema(_string("pattern", "a glob such as src/**/*.py"), required=()), list_files),
    "read_file": AgentTool("Read a text file of the project.", _schema(_string("path", "relative to the project root")),
                           read_file),
    "search_files": AgentTool("Search the project's text files for lines matching a regular expression.",
                              _schema(_string("pattern", "a Python regular expression")), search_files),
    "edit_file": AgentTool(
        "Replace an exact, unique piece of a file by new text. `search` must be copied exactly from the file "
        "(whitespace included); an empty `search` creates a new file with `replace` as its content.",
        _schema(_string("path", "relative to the project root"), _string("search", "the exact text to replace"),
                _string("replace", "the new text")), edit_file),
    "write_file": AgentTool(
        "Write a whole file: a new one, or one you have read (it must not have changed since).",
        _schema(_string("path", "relative to the project root"), _string("content", "the whole new content")),
        write_file),
    "run_command": AgentTool("Run one of the commands the team allows this agent (no shell), and see its output.",
                             _schema(_string("command", "the command line")), run_command),
    "recall": AgentTool("Search the team's long-term memory.", _schema(_string("query", "words to look for")), recall),
    "remember": AgentTool(
        "Store something worth remembering in the team's long-term memory.",
        _schema(_string("content", "what to remember"),
                {"stratum": {"type": "string", "enum": ["somatic", "cognitive", "metaphysical"],
                             "description": "somatic: a fact; cognitive: an analysis or plan; "
                                            "metaphysical: a principle"}},
                required=("content",)), remember),
    "send_message": AgentTool("Send a message to another agent of the team.",
                              _schema(_string("to", "the agent's name"), _string("body", "the message")), send_message),
    "add_task": AgentTool("Queue a task for the team (or for one agent).",
                          _schema(_string("description", "the task, concrete and self-contained"),
                                  _string("to", "an agent's name, or empty for whoever is free"),
                                  required=("description",)), add_task),
    "finish": AgentTool("Say the task is done (or that there is nothing to do), with a one-line summary.",
                        _schema(_string("summary", "what was done"), required=()), finish),
}
