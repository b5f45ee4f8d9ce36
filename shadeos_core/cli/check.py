"""``kin check [FILES…]``: every registered check; exit 1 on an error finding. Used as a pre-commit hook."""
from __future__ import annotations

from pathlib import Path

import rich_click as click

from ..checks import CheckContext
from .app import App
from .output import print_json

_MARK = {"error": "✗", "warning": "!", "info": "·"}


@click.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Checks may turn warnings into errors.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of findings.")
@click.option("--quiet", "-q", is_flag=True, help="Only print errors.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds each check may take; one that takes longer is stopped and reported as an error.")
@click.pass_obj
def command(app: App, files: tuple[Path, ...], strict: bool, as_json: bool, quiet: bool, timeout: float) -> int:
    """Run every check plugins registered; exit 1 if any finding is an error.

    FILES limit file-based checks to those files (as pre-commit passes them). Each check runs in a
    process of its own: one that fails, exits or hangs is an error finding, never the verdict.
    """
    kernel = app.kernel
    ctx = CheckContext(kernel, [kernel.workspace.inside(f, base=Path.cwd(), what="file") for f in files], strict)
    findings = kernel.run_checks(ctx, timeout=timeout)
    errors = [f for f in findings if f.level == "error"]
    if as_json:
        print_json([f.to_json() for f in findings])
    else:
        for finding in findings:
            if quiet and finding.level != "error":
                continue
            click.echo(f"{_MARK[finding.level]} {finding.level} [{finding.check}] {finding}")
        if not quiet:
            checks = ", ".join(kernel.checks) or "none installed"
            click.echo(f"kin check: {len(errors)} error(s), {len(findings) - len(errors)} other finding(s) "
                       f"from checks: {checks}")
    return 1 if errors else 0
