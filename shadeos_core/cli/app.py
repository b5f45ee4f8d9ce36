"""What every command gets through ``ctx.obj``: the options of the ``kin`` group and a lazily loaded kernel."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..kernel import Kernel

__all__ = ["App"]


@dataclass
class App:
    debug: bool = False
    disabled: list[str] = field(default_factory=list)
    cwd: str | None = None
    preloaded: Kernel | None = None

    @cached_property
    def kernel(self) -> Kernel:
        if self.preloaded is not None:
            return self.preloaded
        from ..kernel import Kernel

        return Kernel.load(self.cwd, disabled=self.disabled)
