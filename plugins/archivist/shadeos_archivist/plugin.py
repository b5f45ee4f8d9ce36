"""Hook implementations of the archivist plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations
