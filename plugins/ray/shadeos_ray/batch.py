"""Many short commands across the cluster from one process: a Ray task each, no proxy.

For scripts and tools that already hold the work to spread (a test matrix, a
build of many targets). A daemon's or ``kin exec``'s command goes through the
``ray`` mode instead, which supervises each run through a local pid.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .connect import connect
from .settings import RaySettings, ray_options

__all__ = ["BatchResult", "run_batch"]


@dataclass(frozen=True)
class BatchResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    node: str


def run_batch(commands: Sequence[Sequence[str]], settings: RaySettings, *, cwd: str | None = None,
              resources: Mapping[str, Any] | None = None, timeout: float | None = None) -> list[BatchResult]:
    """Run each argv of ``commands`` as a Ray task where ``resources`` fit (default: one CPU each, as Ray's
    tasks ask); their results in order. ``timeout`` bounds each command (exit 124 when it expires)."""
    from .host import run_to_end

    ray = connect(settings)
    options = {**ray_options(settings.resources, where="[ray] resources"),
               **ray_options(resources, where="run_batch(resources=...)")}
    if settings.runtime_env:
        options["runtime_env"] = settings.runtime_env
    task = ray.remote(run_to_end).options(max_retries=0, **options)
    refs = [task.remote([str(a) for a in argv], cwd, timeout) for argv in commands]
    out = []
    for argv, (code, stdout, stderr, node) in zip(commands, ray.get(refs), strict=True):
        out.append(BatchResult([str(a) for a in argv], code, stdout, stderr, node))
    return out
