"""``kin agents``, ``kin agents history NAME`` and ``kin models``."""
from __future__ import annotations

import difflib
from typing import Any

import rich_click as click

from shadeos_core.cli.app import App
from shadeos_core.cli.output import print_json, print_table, shown
from shadeos_core.errors import KinError, UsageError

__all__ = ["agents", "models"]


@click.group("agents", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array: daemon_id, role, model, state, cycles, input_tokens, output_tokens, "
                   "last_task, last_outcome, reason, team.")
@click.pass_context
def agents(ctx: click.Context, as_json: bool) -> None:
    """The agents of the running team (or of the team that ran last): state, model, tokens, last task.

    `kin agents history NAME` shows one agent's cycles.
    """
    if ctx.invoked_subcommand is not None:
        return
    from .overview import agent_rows

    app: App = ctx.obj
    rows = agent_rows(app.kernel.workspace)
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(f"no agent has run in {app.kernel.workspace.root} (start a team with agents: kin TEAM)")
        return
    print_table(["agent", "role", "model", "state", "cycles", "tokens in/out", "last outcome", "last task"],
                [(r["daemon_id"], r["role"], r["model"] or "", r["state"] + (f": {r['reason']}" if r["reason"] else ""),
                  r["cycles"], f"{r['input_tokens']}/{r['output_tokens']}", r["last_outcome"] or "",
                  r["last_task"] or "") for r in rows])


@agents.command("history")
@click.argument("name")
@click.option("-n", "limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many cycles.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of cycle records, newest first.")
@click.pass_obj
def history(app: App, name: str, limit: int, as_json: bool) -> None:
    """The cycles of agent NAME (a daemon name or team.name), newest first, with the files each one changed."""
    from .records import AgentRecords

    daemon_id = resolve_agent(app, name)
    records = AgentRecords(app.kernel.workspace, daemon_id).history(limit=limit)
    if as_json:
        print_json(records)
        return
    if not records:
        click.echo(f"{daemon_id} has no cycle recorded yet")
        return
    for r in records:
        edited = sorted({e.get("path", "") for e in r.get("edits", []) if e.get("outcome") == "applied"})
        when = str(r.get("time", ""))[:19].replace("T", " ")
        click.echo(f"{when}  {r.get('outcome') or '?'}  {shown(r.get('task') or '(no task)')}")
        details = [f"{r.get('input_tokens') or 0}/{r.get('output_tokens') or 0} tokens",
                   f"{r.get('duration') or 0:.1f}s"]
        if r.get("commit"):
            details.append(f"commit {r['commit'][:10]}")
        click.echo("    " + " · ".join(details))
        if edited:
            click.echo("    changed " + ", ".join(edited))
        if r.get("error"):
            click.echo(f"    {r['error']}")


def resolve_agent(app: App, name: str) -> str:
    """The daemon id ``name`` designates among the agents that ran here, or a one-line error."""
    from .records import agent_dirs

    known = [p.name for p in agent_dirs(app.kernel.workspace)]
    if name in known:
        return name
    matches = [d for d in known if d.endswith("." + name)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UsageError(f"several agents are called {name!r}: {', '.join(matches)}", hint="give team.name")
    close = difflib.get_close_matches(name, [*known, *(d.split(".", 1)[1] for d in known)], n=1)
    hint = f"did you mean {close[0]!r}?" if close else (f"agents: {', '.join(known)}" if known else
                                                         "no agent has run here yet")
    raise UsageError(f"no agent named {name!r} has run in {app.kernel.workspace.root}", hint=hint)


@click.command("models")
@click.option("--json", "as_json", is_flag=True,
              help="Print an object: default {model, source, known, key_name, key_present}, models [...].")
@click.pass_obj
def models(app: App, as_json: bool) -> None:
    """The models llm offers, which one kin uses by default and why, and whether each key is set (never the key).

    kin's default: [agents] model in kin.toml, else $KIN_MODEL, else llm's default model. Add models with
    llm plugins (llm install llm-anthropic, llm-ollama…) or llm's extra-openai-models.yaml; set keys with
    llm keys set NAME.
    """
    from .overview import model_rows

    try:
        data = model_rows(app.kernel.workspace)
    except KinError:
        raise
    except Exception as exc:  # an llm plugin or a broken extra-openai-models.yaml
        raise KinError(f"llm could not list its models: {type(exc).__name__}: {exc}",
                       hint="check llm's configuration (llm models; LLM_USER_PATH)") from None
    if as_json:
        print_json(data)
        return
    default = data["default"]
    line = f"kin's default model: {default['model']} (from {default['source']})"
    if not default["known"]:
        line += " — unknown to llm: set [agents] model in kin.toml to one of the models below"
    elif default["key_name"] and not default["key_present"]:
        line += f" — no key: run llm keys set {default['key_name']}"
    click.echo(line)
    rows: list[tuple[Any, ...]] = []
    missing: set[str] = set()
    for m in data["models"]:
        if m["key_name"] is None:
            key = "not needed"
        elif m["key_present"]:
            key = "set"
        else:
            key = f"no ({m['key_name']})"
            missing.add(m["key_name"])
        rows.append((("* " if m["default"] else "  ") + m["model_id"], "yes" if m["supports_tools"] else "no", key,
                     ", ".join(m["aliases"])))
    print_table(["model", "tools", "key", "aliases"], rows)
    if missing:
        click.echo("set a missing key with: " + "; ".join(f"llm keys set {name}" for name in sorted(missing)))
