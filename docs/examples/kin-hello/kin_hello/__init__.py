"""kin-hello: a small third-party plugin showing one of each extension point.

- daemon type ``hello``: each cycle writes a greeting to ``hello.txt`` in its work directory;
- janitor ``hello-tmp``: removes ``*.hello.tmp`` files older than a minute;
- check ``mission``: each team's ``mission`` file must exist;
- command ``kin hello NAME``;
- team ``hello`` shipped with the plugin.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from shadeos_core import CheckContext, Cleanup, CycleResult, Daemon, Finding, Injection, Janitor, hookimpl


class HelloDaemon(Daemon):
    """Writes ``Hello, <greet>! (cycle N)`` to ``hello.txt``; answers messages in the same file."""

    OPTIONS = {"greet": str}
    description = "writes a greeting every cycle"

    def cycle(self, injections: Sequence[Injection]) -> CycleResult:
        greet = self.options.get("greet", "world")
        lines = [f"Hello, {greet}! (cycle {self.cycles + 1})"]
        lines += [f"message: {i.content.body}" for i in injections if i.type == "message"]
        target = self.workspace.inside(self.spec.workdir) / "hello.txt"
        with self.luciorbe(target.parent, task="greeting", current_file="hello.txt") as luc:
            target.write_text("\n".join(lines) + "\n")
            luc.update(progress="1/1")
        return CycleResult(task="greeting", progress=f"{self.cycles + 1} greetings")


class HelloTmpJanitor(Janitor):
    """Removes ``*.hello.tmp`` files older than ``max_age`` seconds (default 60)."""

    description = "old *.hello.tmp files"

    def _old(self) -> Iterator[Path]:
        limit = time.time() - float(self.options.get("max_age", 60))
        for path in self.workspace.root.rglob("*.hello.tmp"):
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < limit:
                yield path

    def scan(self) -> Iterator[Cleanup]:
        for path in self._old():
            yield Cleanup(self.workspace.relative(path), "old")

    def clean(self, *, dry_run: bool = False, hard: bool = False) -> list[Cleanup]:
        done = []
        for item in self.scan():
            if not dry_run:
                os.unlink(self.workspace.root / item.path)
            done.append(Cleanup(item.path, item.state, "none" if dry_run else "removed"))
        return done


def check_missions(ctx: CheckContext) -> Iterator[Finding]:
    """Every team that names a mission file must have it."""
    for team in ctx.kernel.teams().teams.values():
        if team.mission and not (ctx.workspace.root / team.mission).is_file():
            yield Finding("error", f"team {team.name!r} names mission {team.mission!r}, which does not exist",
                          path=team.source.label(ctx.workspace.root), hint="create the file or drop team.mission")


@hookimpl
def register_daemons(register):
    register("hello", HelloDaemon)


@hookimpl
def register_janitors(register):
    register("hello-tmp", HelloTmpJanitor)


@hookimpl
def register_checks(register):
    register("mission", check_missions)


@hookimpl
def register_teams(register):
    register(Path(__file__).with_name("hello.toml"))


@hookimpl
def register_commands(cli):
    import rich_click as click

    @cli.command("hello")
    @click.argument("name")
    def hello(name: str) -> None:
        """Greet NAME (an example plugin command)."""
        click.echo(f"Hello, {name}!")
