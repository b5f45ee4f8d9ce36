"""Helpers of the ray plugin's tests: the shared cluster's handle, Ray's state API, the processes kin left."""
from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from typing import Any

import psutil

from shadeos_core.testing import wait_for

__all__ = ["RayCluster", "ray_missing", "kin_commands", "gone", "alive", "wait_for"]


def ray_missing() -> str | None:
    try:
        import ray  # noqa: F401
    except ImportError:
        return "ray is not installed (pip install -r requirements-dev.txt)"
    return None


@dataclass
class RayCluster:
    """The cluster a module's tests share: its address, its nodes' ids, and Ray's state API."""

    address: str
    dashboard: str
    head: str
    node_b: str
    node_c: str
    host: subprocess.Popen[bytes]

    def actors(self) -> list[Any]:
        from ray.util.state import list_actors

        return list(list_actors(address=self.dashboard, limit=10_000, raise_on_missing_output=False))

    def live_actors(self) -> list[Any]:
        return [a for a in self.actors() if a.state != "DEAD"]

    def live_tasks(self) -> list[Any]:
        from ray.util.state import list_tasks

        done = ("FINISHED", "FAILED")
        return [t for t in list_tasks(address=self.dashboard, limit=10_000, raise_on_missing_output=False)
                if t.state not in done]

    def kill_node_c(self) -> None:
        os.kill(self.host.pid, signal.SIGUSR1)


def kin_commands() -> list[psutil.Process]:
    """Processes kin started on a node of the cluster (their environment names the actor that holds them)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if "KIN_RAY_ACTOR_ID" in proc.environ():
                found.append(proc)
        except psutil.Error:
            continue
    return found


def gone(pid: int) -> bool:
    """``pid`` no longer runs (a zombie counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
