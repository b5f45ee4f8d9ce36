"""``kin check [FILES…] | --staged | --all``: every registered check; exit 1 on an error finding."""
from __future__ import annotations

from pathlib import Path

import rich_click as click

from ..checks import CheckContext, staged_files
from ..errors import UsageError
from .app import App
from .output import print_json

_MARK = {"error": "✗", "warning": "!", "info": "·"}


@click.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--staged", is_flag=True,
              help="Check the files staged for commit (git is asked for them; deletions are not files to check). "
                   "What the git hook of `kin hooks install` runs.")
@click.option("--all", "everything", is_flag=True,
              help="Check every file of the workspace (also what a bare `kin check` does).")
@click.option("--strict", is_flag=True, help="Checks may turn warnings into errors.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of findings.")
@click.option("--quiet", "-q", is_flag=True, help="Only print errors.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds each check may take; one that takes longer is stopped and reported as an error.")
@click.pass_obj
def command(app: App, files: tuple[Path, ...], staged: bool, everything: bool, strict: bool, as_json: bool,
            quiet: bool, timeout: float) -> int:
    """Run every check plugins registered; exit 1 if any finding is an error.

    What file-based checks (documents too long, luciorbes left beside files…) look at:
    FILES (as the pre-commit framework passes them), the files staged for commit with
    --staged (as the git hook of `kin hooks install` asks), or every file of the workspace
    with --all or when given none of these. Checks of the whole project (team files valid,
    no luciorbe tracked by git anywhere) run every time. With --staged and nothing staged
    (a commit that only deletes), there is nothing to check and the exit is 0, as pre-commit
    skips its hooks then.

    Each check runs in a process of its own: one that fails, exits or hangs is an error
    finding, never the verdict.
    """
    if sum((bool(files), staged, everything)) > 1:
        raise UsageError("give FILES, --staged or --all, not several",
                         hint="kin check FILES checks those files, --staged what git has staged, --all everything")
    kernel = app.kernel
    base = Path(app.cwd or Path.cwd())
    if staged:
        # resolved as FILES are; a staged file outside the workspace (or a link leading out of it) is not kin's
        chosen = [p for p in (s.resolve() for s in staged_files(base)) if kernel.workspace.root in p.parents]
        if not chosen:
            if as_json:
                print_json([])
            elif not quiet:
                click.echo("kin check: no staged file in the workspace, nothing to check")
            return 0
    else:
        chosen = [kernel.workspace.inside(f, base=base, what="file") for f in files]
    findings = kernel.run_checks(CheckContext(kernel, chosen, strict), timeout=timeout)
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
