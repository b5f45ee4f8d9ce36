"""The ``[ray]`` table of ``kin.toml`` and the resources a team file or ``kin exec`` asks for.

```toml
[ray]
address = "auto"          # "auto" (RAY_ADDRESS, else the cluster started on this machine by `ray start`),
                          # "ray://host:10001" (Ray client), "host:6379" (a head's GCS), or "local"
namespace = "kin"         # Ray namespace of the actors kin starts (default: kin-<workspace directory name>)
stop_grace = "3s"         # between SIGTERM and SIGKILL of the remote process tree when a run is stopped
connect_timeout = "60s"   # how long a run waits for the cluster and for a node with the resources it asks
runtime_env = { env_vars = { HF_HOME = "/shared/hf" } }   # Ray runtime environment of every remote run
resources = { num_cpus = 1 }                               # what every run asks, unless it asks otherwise
```
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shadeos_core.durations import parse_duration
from shadeos_core.errors import ConfigError

if TYPE_CHECKING:
    from shadeos_core.workspace import Workspace

__all__ = ["RaySettings", "ray_options", "parse_memory", "STANDARD_RESOURCES"]

_KEYS = ("address", "namespace", "stop_grace", "connect_timeout", "runtime_env", "resources")
#: Resource names Ray knows; any other name in ``resources`` is a custom resource of the cluster's nodes.
STANDARD_RESOURCES = ("num_cpus", "num_gpus", "memory")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


@dataclass(frozen=True)
class RaySettings:
    address: str = "auto"
    namespace: str | None = None
    stop_grace: float = 3.0
    connect_timeout: float = 60.0
    runtime_env: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> RaySettings:
        raw = workspace.section("ray", _KEYS)
        where = f"{workspace.config_path} [ray]"
        address = raw.get("address", "auto")
        if not isinstance(address, str) or not address.strip():
            raise ConfigError("address must be a non-empty string", where=f"{where} address",
                              hint='"auto", "local", "ray://head:10001" or "head:6379"')
        namespace = raw.get("namespace")
        if namespace is not None and not (isinstance(namespace, str) and _NAME.match(namespace)):
            raise ConfigError("namespace must be a short name", where=f"{where} namespace")
        for key in ("runtime_env", "resources"):
            if not isinstance(raw.get(key, {}), dict):
                raise ConfigError(f"{key} must be a table", where=f"{where} {key}")
        resources = dict(raw.get("resources", {}))
        ray_options(resources, where=f"{where} resources")  # checked now, not at the first run
        return cls(address=address.strip(), namespace=namespace or _default_namespace(workspace),
                   stop_grace=parse_duration(raw.get("stop_grace", 3.0), where=f"{where} stop_grace"),
                   connect_timeout=parse_duration(raw.get("connect_timeout", 60.0), where=f"{where} connect_timeout",
                                                  positive=True),
                   runtime_env=dict(raw.get("runtime_env", {})), resources=resources)

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "namespace": self.namespace, "stop_grace": self.stop_grace,
                "connect_timeout": self.connect_timeout, "runtime_env": self.runtime_env,
                "resources": self.resources}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RaySettings:
        return cls(**{k: data[k] for k in _KEYS if k in data})


def _default_namespace(workspace: Workspace) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", workspace.root.name)[:60] or "workspace"
    return f"kin-{name}"


def parse_memory(value: Any, *, where: str) -> int:
    """Bytes from a whole number or a size such as ``"512M"`` or ``"2GiB"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(f"memory must be bytes or a size like '2G', not {value!r}", where=where)
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def ray_options(resources: Mapping[str, Any] | None, *, where: str) -> dict[str, Any]:
    """Ray's ``.options(...)`` keywords for ``resources``: ``num_cpus``, ``num_gpus``, ``memory``
    (bytes or a size), any other name a custom resource (a non-negative number)."""
    options: dict[str, Any] = {}
    custom: dict[str, float] = {}
    for key, value in (resources or {}).items():
        if not isinstance(key, str) or not _NAME.match(key):
            raise ConfigError(f"resource name {key!r} is not valid", where=where)
        if key == "memory":
            options["memory"] = parse_memory(value, where=f"{where} memory")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"resource {key} must be a non-negative number, not {value!r}", where=where)
        if key in ("num_cpus", "num_gpus"):
            options[key] = value
        else:
            custom[key] = float(value)
    if custom:
        options["resources"] = custom
    return options
