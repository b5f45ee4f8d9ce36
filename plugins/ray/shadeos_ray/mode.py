"""The ``ray`` execution mode: a command or a daemon's runner on a Ray cluster, supervised through a local pid.

:meth:`RayMode.run` starts a local proxy (:mod:`shadeos_ray.proxy`) the way
the ``background`` mode starts any process: own session, process record
(``kin ps``), output in ``.kin/logs/<name>.out`` and ``.err``, ``poll`` and
``stop`` on its pid, the timeout. The proxy holds the remote work and ends it
when it is stopped or dies, so everything that supervises local processes
supervises remote ones unchanged.
"""
from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from shadeos_core.execution import CommandSpec, ExecutionResult
from shadeos_process import BackgroundMode  # the process plugin's public API (a declared dependency)

from .job import Job, write_job
from .settings import RaySettings, ray_options

__all__ = ["RayMode"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]+")


class RayMode(BackgroundMode):
    """Return at once with the proxy's pid; the command runs on a node of the ``[ray] address`` cluster.

    ``spec.resources`` (``num_cpus``, ``num_gpus``, ``memory``, custom names)
    chooses the node; ``[ray] resources`` in ``kin.toml`` applies to every run
    that does not ask otherwise. The place the command landed is in
    ``.kin/run/places/<pid>.json`` once it started.
    """

    name = "ray"
    hosts_daemons: ClassVar[bool] = True

    def run(self, spec: CommandSpec, **callbacks: Any) -> ExecutionResult:
        workspace = self._workspace(spec)
        settings = RaySettings.from_workspace(workspace)
        resources = dict(spec.resources or {})
        ray_options(resources, where=f"resources of {spec.name or spec.argv[0]}")  # a bad value fails here, not later
        argv = [str(a) for a in spec.argv]
        cwd = str(Path(spec.cwd or workspace.root).resolve())
        job = Job(argv=argv, cwd=cwd, workspace=str(workspace.root), settings=settings,
                  env={str(k): str(v) for k, v in (spec.env or {}).items()}, resources=resources,
                  name=spec.name or "", owner=spec.owner or "")
        path = write_job(workspace, job)
        proxy = [sys.executable, "-m", "shadeos_ray.proxy", "--job", str(path), "--", *argv]
        name = spec.name or f"ray-{_program(argv[0])}-{path.stem.rsplit('-', 1)[-1]}"
        try:
            result = super().run(replace(spec, argv=proxy, name=name), **callbacks)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        result.mode = self.name
        result.extra["job"] = str(path)
        return result


def _program(argv0: str) -> str:
    return _UNSAFE.sub("_", Path(argv0).name).lstrip("._-")[:40] or "command"
