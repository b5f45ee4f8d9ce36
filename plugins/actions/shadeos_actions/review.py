"""A short written review of the team's recent hours by the configured model, from the same evidence.

Through the agents plugin's ``model_complete`` hook: without it, or without a
configured model, there is no review (``None``), never an error.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shadeos_core.hooks import Hooks
    from shadeos_core.workspace import Workspace

__all__ = ["write_review", "evidence_text"]

SYSTEM = ("You review how a team of software agents and daemons worked. Be concrete and brief: at most 8 "
          "sentences, plain text. Use only the evidence given; name daemons; end with the one change you would "
          "make first.")


def evidence_text(report: dict[str, Any]) -> str:
    lines = [f"{report['records']} actions recorded."]
    lines.append("Performance (daemon, kind, count, p50 s, p95 s, tokens in/out, failure rate, share of spend):")
    for r in report["performance"][:40]:
        lines.append(f"- {r['daemon'] or '(team)'} {r['kind']} {r['count']} {r['p50']} {r['p95']} "
                     f"{r['input_tokens']}/{r['output_tokens']} {r['failure_rate']} {r['share']}")
    lines.append("Collaboration edges:")
    lines += [f"- {e['source']} -> {e['target']} {e['kind']} x{e['count']}" for e in report["graph"]["edges"][:30]]
    lines.append("Patterns:")
    lines += [f"- {p['title']}: {'; '.join(p['evidence'])}" for p in report["patterns"] if p["pattern"] != "sequence"]
    lines.append("Suggestions:")
    lines += [f"- {i['title']}: {i['change']}" for i in report["insights"]]
    return "\n".join(lines)


def write_review(hooks: Hooks, workspace: Workspace, report: dict[str, Any]) -> dict[str, Any] | None:
    """``{"text", "model", "input_tokens", "output_tokens"}``, or ``None`` when no model is configured.
    A model that cannot answer raises the agents plugin's one-line ``KinError``."""
    if not hooks.has("model_complete"):
        return None
    answer = hooks.call("model_complete", workspace=workspace, system=SYSTEM, prompt=evidence_text(report),
                        purpose="actions review")
    return answer if isinstance(answer, dict) else None
