"""Hook implementations of the map plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations
