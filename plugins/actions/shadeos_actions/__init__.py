"""The actions plugin: every action of every daemon recorded, and what can be learned from the record.

Python API: :class:`ActionRegistry` (a workspace's registry and its report),
:class:`Query`, :class:`Analysis`.
"""
from __future__ import annotations

from .analysis import Analysis, analyse
from .registry import ActionRegistry
from .store import ActionStore, Query

__all__ = ["ActionRegistry", "ActionStore", "Analysis", "Query", "analyse"]
