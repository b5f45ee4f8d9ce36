"""The ``map`` check of ``kin check``: documents over the thresholds, counted with the same counter as the map."""
from __future__ import annotations

from collections.abc import Iterator

from shadeos_core.checks import CheckContext, Finding

from .config import MapConfig
from .scanner import MapScanner

__all__ = ["check_map"]


def check_map(ctx: CheckContext) -> Iterator[Finding]:
    """An error per checked document over ``too_long``, a warning per one over ``long``.

    Checked documents are those matching ``[map] check`` (Markdown and text by
    default). When ``kin check`` is given file names (as pre-commit does) only
    those are measured; otherwise every such file of the map.
    """
    config = MapConfig.from_workspace(ctx.workspace)
    scanner = MapScanner.for_kernel(ctx.kernel, config)
    wanted = config.check_globs
    if ctx.files:
        paths = [p for p in ctx.files if scanner.keep(rel := ctx.workspace.relative(p)) and wanted.match(rel)]
        entries = scanner.measure_paths(paths)
    else:
        scanner.full_scan()
        entries = [e for e in scanner.snapshot("expansion").files if wanted.match(e.path)]
    for entry in entries:
        if entry.tokens is None:
            yield Finding("error", f"could not count tokens: {entry.error}", path=entry.path,
                          hint="fix the file or the token counter, then rerun kin check")
        elif entry.level == "too_long":
            yield Finding("error", f"{entry.tokens} tokens, over the {config.too_long} limit",
                          path=entry.path, hint=f"split it into parts of at most {config.long} tokens")
        elif entry.level == "long":
            yield Finding("warning", f"{entry.tokens} tokens, over {config.long}",
                          path=entry.path, hint=f"plan a split before it reaches {config.too_long}")
