"""Connecting this process to the cluster ``[ray] address`` names, with one-line errors."""
from __future__ import annotations

import logging
import os
from typing import Any

from shadeos_core.errors import KinError

from .settings import RaySettings

__all__ = ["connect", "NO_RAY", "RayUnavailable"]

NO_RAY = "pip install 'ray[default]' on this machine and on every node of the cluster (the same version)"


class RayUnavailable(KinError):
    """Ray is not installed here, or the cluster cannot be reached."""


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailable("the ray execution mode needs Ray, which is not installed", hint=NO_RAY) from None
    return ray


def connect(settings: RaySettings) -> Any:
    """``ray`` connected to the cluster (once per process); a :class:`RayUnavailable` when it cannot be."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    address: str | None = settings.address
    if address == "local":
        address = None  # a private cluster, started here and ended with this process
    elif address == "auto" and os.environ.get("RAY_ADDRESS"):
        address = os.environ["RAY_ADDRESS"]
    try:
        ray.init(address=address, namespace=settings.namespace, logging_level=logging.ERROR, log_to_driver=False,
                 include_dashboard=False if address is None else None, configure_logging=True)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise RayUnavailable(f"cannot reach the Ray cluster at {settings.address!r}: {text}",
                             hint="start it (ray start --head) or fix [ray] address in kin.toml") from None
    return ray
