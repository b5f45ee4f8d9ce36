"""One implementation of every core hook, each observable from a test."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pluggy

from shadeos_core import (
    CycleResult,
    Daemon,
    ExecutionMode,
    ExecutionResult,
    Finding,
    Janitor,
    MemoryBackend,
    MetaDaemon,
    hookimpl,
)

spec = pluggy.HookspecMarker("shadeos")
TEAM = Path(__file__).with_name("allhooks_team.toml")


class Specs:
    @spec(firstresult=True)
    def summarise(self, text):
        """Return a one-line summary of ``text``."""


class Plain(Daemon):
    def cycle(self, injections):
        return CycleResult()


class Meta(MetaDaemon):
    def cycle(self, injections):
        return None


class Dict(MemoryBackend):
    def add(self, records):
        self.docs = {r["id"]: r for r in records}

    def search(self, query, *, strata=None, namespace=None, limit=10):
        return [(i, 1.0) for i, r in self.docs.items() if query in r["content"]][:limit]


class NoJanitor(Janitor):
    def scan(self):
        return []

    def clean(self, *, dry_run=False, hard=False):
        return []


class Echo(ExecutionMode):
    name = "echo"

    def run(self, spec, **callbacks):
        return ExecutionResult(pid=0, returncode=0, stdout=" ".join(spec.argv), mode=self.name)


@hookimpl
def add_hookspecs(pluginmanager):
    pluginmanager.add_hookspecs(Specs)


@hookimpl
def summarise(text):
    return text.split(".")[0]


@hookimpl
def register_daemons(register):
    register("plain", Plain)


@hookimpl
def register_meta_daemons(register):
    register("meta", Meta)


@hookimpl
def register_memory_backends(register):
    register("dict", Dict)


@hookimpl
def register_janitors(register):
    register("nothing", NoJanitor)


@hookimpl
def register_execution_modes(register):
    register("echo", Echo)


@hookimpl
def register_teams(register):
    register(TEAM)


@hookimpl
def register_checks(register):
    register("always-warns", lambda ctx: [Finding("warning", "a warning")])


@hookimpl
def register_commands(cli):
    import rich_click as click

    @cli.command("allhooks")
    def allhooks():
        """Print a word."""
        click.echo("all hooks here")


@hookimpl
def run_team(team, kernel):
    out = os.environ.get("KIN_TEST_RUN_TEAM")
    if out:
        Path(out).write_text(json.dumps({"team": team.name, "members": [s.daemon_id for s in team.members()]}))
    return 7


@hookimpl
def daemon_event(event):
    out = os.environ.get("KIN_TEST_EVENTS")
    if out:
        with open(out, "a") as handle:
            handle.write(json.dumps(event.to_json()) + "\n")
