"""``kin mail dead`` and ``kin mail requeue``: the messages no daemon could handle or read."""
from __future__ import annotations

import time

import rich_click as click

from ..errors import UsageError
from ..mailbox import Mailbox, dead_letters
from .app import App
from .output import print_json, print_table

__all__ = ["command"]


@click.group("mail")
def command() -> None:
    """Mailboxes (.kin/mail/): the messages daemons could not handle."""


@command.command("dead")
@click.argument("daemon", required=False)
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array: daemon_id, name, reason, error, tries, dead_at, sender, kind, path.")
@click.pass_obj
def dead(app: App, daemon: str | None, as_json: bool) -> None:
    """List dead letters (of DAEMON, a team.name id, or of every mailbox).

    A message goes there after 3 failed deliveries (its handling raised, or its
    receiver died on it): `rejected`, with the error. A message file that could
    not be read at all is `unreadable`. `kin mail requeue DAEMON NAME` delivers
    one again.
    """
    letters = dead_letters(app.kernel.workspace, daemon)
    if as_json:
        print_json([d.to_json() for d in letters])
        return
    if not letters:
        click.echo("no dead letters" + (f" for {daemon}" if daemon else ""))
        return
    print_table(["daemon", "name", "reason", "tries", "when", "from", "error"],
                [(d.daemon_id, d.name, d.reason, d.tries, time.strftime("%m-%d %H:%M", time.localtime(d.dead_at)),
                  d.sender, d.error) for d in letters])


@command.command("requeue")
@click.argument("daemon")
@click.argument("name")
@click.pass_obj
def requeue(app: App, daemon: str, name: str) -> None:
    """Deliver dead letter NAME of DAEMON again (once the cause is fixed), with its tries forgotten."""
    box = Mailbox(app.kernel.workspace, daemon)
    if not box.requeue(name):
        known = ", ".join(d.name for d in box.dead()) or "none"
        raise UsageError(f"{daemon} has no dead letter {name!r}", hint=f"its dead letters: {known}")
    click.echo(f"{name} requeued for {daemon}")
