"""``kin web [--port P] [--host H] [--expose] [--open]``: serve the dashboard until Ctrl+C."""
from __future__ import annotations

import errno
import socket

import rich_click as click

from shadeos_core.cli.app import App
from shadeos_core.errors import UsageError

__all__ = ["web", "DEFAULT_PORT", "bind"]

DEFAULT_PORT = 8470
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int, *, tries: int) -> socket.socket:
    """A listening socket on ``host``: ``port``, or the next free one among ``tries`` (0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    last: OSError | None = None
    for candidate in range(port, port + max(1, tries)) if port else [0]:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as exc:
            sock.close()
            last = exc
            if exc.errno == errno.EADDRINUSE:
                continue
            raise UsageError(f"cannot listen on {host}:{candidate}: {exc.strerror}",
                             hint="choose another --host or --port") from None
        sock.listen(128)
        sock.setblocking(False)
        return sock
    raise UsageError(f"cannot listen on {host}: ports {port} to {port + tries - 1} are taken ({last})",
                     hint="choose one with --port, or --port 0 for any free port")


@click.command("web")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help=f"Port to serve on (default {DEFAULT_PORT}, or the next free one; 0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind. Anything but this machine's loopback needs --expose.")
@click.option("--expose", is_flag=True, help="Allow --host to be another interface than loopback (the token is "
                                               "still required; anyone who can reach the port can try it).")
@click.option("--open", "open_browser", is_flag=True, help="Open the dashboard in the default browser.")
@click.pass_obj
def web(app: App, port: int | None, host: str, expose: bool, open_browser: bool) -> None:
    """Serve the dashboard of this workspace in a browser until Ctrl+C: the team live, agents, the mission,
    the map, tasks, memory, actions, luciorbes and logs, with the controls a person needs.

    It prints the address with a token (http://127.0.0.1:PORT/?token=…); a request without the token is refused.
    """
    import uvicorn

    from .app import create_app
    from .security import new_token

    loopback = host in _LOOPBACK
    if not loopback and not expose:
        raise UsageError(f"--host {host} would serve this workspace beyond this machine",
                         hint="add --expose if that is what you want, or leave --host at 127.0.0.1")
    kernel = app.kernel
    sock = bind(host, DEFAULT_PORT if port is None else port, tries=20 if port is None else 1)
    bound = int(sock.getsockname()[1])
    token = new_token()
    application = create_app(kernel, cwd=app.cwd or str(kernel.workspace.root), token=token, port=lambda: bound,
                             expose=not loopback)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{bound}/?token={token}"
    if not loopback:
        click.echo(f"kin: warning: serving {kernel.workspace.root} on {host}:{bound}, reachable from other "
                   "machines; anyone with the token can stop daemons and edit files", err=True)
    click.echo(f"kin web: serving {kernel.workspace.root} (Ctrl+C to stop)")
    click.echo(f"    {url}", color=False)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(application, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=1, server_header=False)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
