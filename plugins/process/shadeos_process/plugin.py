"""Hook implementations of the process plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations
