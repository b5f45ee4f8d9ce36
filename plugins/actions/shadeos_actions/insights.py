"""Suggestions: rules that turn the analysis into concrete changes, each with its evidence.

Nothing here changes a file: an insight says what to change and why
(``{"rule", "title", "evidence", "change", "daemons"}``), a person decides.
The rules:

- ``longer-every``: an agent idle in most of its cycles (nothing to do, tokens
  spent anyway) gets a longer ``every``;
- ``phase-off``: an agent idle in most of its cycles of one phase is left out
  of that phase;
- ``split-files``: two daemons that keep changing or fighting over the same
  file get ``files`` globs that give it to one of them;
- ``repeated-failure``: a daemon failing the same way again and again;
- ``drift``: a daemon whose cycle time or tokens per cycle keep growing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analysis import Analysis

__all__ = ["suggest", "nice_duration"]


def nice_duration(seconds: float) -> str:
    """A round duration a person would write in a team file: ``"30s"``, ``"5m"``, ``"2h"``."""
    if seconds < 60:
        return f"{max(1, round(seconds))}s"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    return f"{round(seconds / 3600)}h"


def _name(daemon_id: str) -> str:
    return daemon_id.rsplit(".", 1)[-1]


def _idle(pattern: dict[str, Any]) -> dict[str, Any]:
    daemon = pattern["daemons"][0]
    phased = [(p, v) for p, v in pattern["phases"].items() if p != "(none)" and v["cycles"] >= 2
              and v["idle"] / v["cycles"] >= 0.8]
    others = [v for p, v in pattern["phases"].items() if p not in {q for q, _ in phased}]
    if phased and others and all(v["idle"] / v["cycles"] < 0.8 for v in others if v["cycles"]):
        phase, seen = phased[0]
        return {"rule": "phase-off", "title": f"switch {daemon} off in the {phase} phase", "daemons": [daemon],
                "evidence": [*pattern["evidence"], f"in phase {phase}: {seen['idle']} of {seen['cycles']} cycles "
                             f"idle, {seen['tokens']} tokens spent on nothing"],
                "change": f'leave "{_name(daemon)}" out of [phases.{phase}] daemons in the team file'}
    interval = pattern.get("interval") or 60.0
    return {"rule": "longer-every", "title": f"{daemon} is idle in most of its cycles", "daemons": [daemon],
            "evidence": pattern["evidence"],
            "change": f'[daemons.{_name(daemon)}] every = "{nice_duration(max(interval * 4, 60.0))}" '
                      f"(now about {nice_duration(interval)}), or on_message only"}


def _split(a: str, b: str, files: list[str], evidence: list[str]) -> dict[str, Any]:
    shown = ", ".join(f'"{f}"' for f in files[:5])
    return {"rule": "split-files", "title": f"{a} and {b} keep colliding on {', '.join(files[:3])}",
            "daemons": [a, b], "evidence": evidence,
            "change": f"give each its own files: keep {shown} in [daemons.{_name(a)}] files and leave "
                      f"{'it' if len(files) == 1 else 'them'} out of [daemons.{_name(b)}] files (or the reverse)"}


def suggest(analysis: Analysis, patterns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The insights for ``patterns`` found in ``analysis``, most urgent rule first."""
    out: list[dict[str, Any]] = []
    colliding: dict[tuple[str, str], dict[str, Any]] = {}
    for p in patterns:
        if p["pattern"] == "ping_pong":
            a, b = p["daemons"]
            seen = colliding.setdefault((a, b), {"files": [], "evidence": []})
            seen["files"].append(p["path"])
            seen["evidence"] += p["evidence"]
    for edge in analysis.collaboration.edges():
        if edge["kind"] == "conflict" and edge["count"] >= analysis.settings.ping_pong:
            a, b = sorted((edge["source"], edge["target"]))
            seen = colliding.setdefault((a, b), {"files": [], "evidence": []})
            seen["evidence"].append(f"{edge['source']} waited {edge['count']} times for a file {edge['target']} held")
    for (a, b), seen in sorted(colliding.items()):
        files = seen["files"] or [f for e in analysis.collaboration.edges() if e["kind"] == "file"
                                  and {e["source"], e["target"]} == {a, b} for f in e.get("files", [])]
        out.append(_split(a, b, files or ["the files they share"], seen["evidence"]))
    for p in patterns:
        if p["pattern"] == "repeated_failure":
            daemon = p["daemons"][0]
            out.append({"rule": "repeated-failure", "title": p["title"], "daemons": [daemon],
                        "evidence": p["evidence"],
                        "change": f"read kin logs {_name(daemon)} and fix the cause; until then give "
                                  f"[daemons.{_name(daemon)}] a longer every, or restart = \"never\""})
        elif p["pattern"] == "idle_loop":
            out.append(_idle(p))
        elif p["pattern"] == "drift":
            daemon = p["daemons"][0]
            out.append({"rule": "drift", "title": p["title"], "daemons": [daemon], "evidence": p["evidence"],
                        "change": f"find what grows with each cycle of {daemon} (its context, its read globs, the "
                                  f"files it scans) and bound it, e.g. narrower [daemons.{_name(daemon)}] read"})
    return out
