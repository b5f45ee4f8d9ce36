"""Helpers of the chaos suite: misbehaving plugins loaded into real kin processes, installed distributions."""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGINS = HERE / "plugins"


def chaos_env(*modules: str, **extra: str) -> dict[str, str]:
    """Environment loading the given misbehaving plugin modules into every kin process."""
    path = os.pathsep.join(filter(None, [str(PLUGINS), str(HERE.parent / "kinplugins"),
                                         os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "KIN_PLUGINS": ",".join(modules), "PYTHONPATH": path, **extra}


def install_dist(site: Path, dist: str, entry_name: str, module: str) -> dict[str, str]:
    """A real installed distribution (a .dist-info with entry points) on ``site``, as pip leaves one."""
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[shadeos]\n{entry_name} = {module}\n")
    (site / f"{module}.py").write_text((PLUGINS / f"{module}.py").read_text())
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH", "")]))}
