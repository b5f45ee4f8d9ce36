"""Hook implementations of the orchestrator plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations
