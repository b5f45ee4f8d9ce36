"""Hook implementations of the context plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations
