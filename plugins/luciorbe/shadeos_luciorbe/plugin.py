"""Hook implementations of the luciorbe plugin (kept light: heavy imports happen inside hooks)."""
from __future__ import annotations
