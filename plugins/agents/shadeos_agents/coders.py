"""What a coder is: the part of an agent that carries a task out on the project's files.

A plugin adds one with the ``register_coders`` hook::

    from shadeos_agents import Coder, CoderResult

    class Echo(Coder):
        description = "writes the task into TODO.txt"

        def run(self, job):
            self.agent.gate.edit("TODO.txt", "", job.task + "\\n")
            return CoderResult("ok", summary="noted")

    @hookimpl
    def register_coders(register):
        register("echo", Echo)

``self.agent`` is the running agent: its write gate (``agent.gate``), its
model client (``agent.client``), its settings and its tools. Whatever a
coder writes through the gate is leased, checked and committed like any
other edit; a coder that changes files another way (an external program)
reports them with :meth:`Coder.adopt_changes`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .daemon import AgentDaemon
    from .tools import ToolContext

__all__ = ["Coder", "CoderResult", "Job"]


@dataclass
class Job:
    """A task to carry out: its text, the rendered role prompt with the cycle's context, the files shown in it."""

    task: str
    system: str
    files: list[str]
    tools: ToolContext


@dataclass
class CoderResult:
    """``outcome`` is ``ok``, ``nothing-to-do``, ``refused`` or ``error``; ``steps`` are
    ``{"tool", "outcome", "path"?}`` dicts (never a file's content)."""

    outcome: str
    summary: str = ""
    error: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)


class Coder:
    """Subclass, implement :meth:`run`, register with ``register_coders``."""

    description: ClassVar[str] = ""

    def __init__(self, agent: AgentDaemon) -> None:
        self.agent = agent

    def run(self, job: Job) -> CoderResult:
        raise NotImplementedError(f"{type(self).__name__} must implement run()")

    # -- for coders that let another program change the files --------------------------------------
    def snapshot(self) -> dict[str, tuple[int, int]]:
        """``{path: (mtime_ns, size)}`` of every project file, to compare before and after a program runs."""
        import os

        from shadeos_core.fsio import is_atomic_temp
        from shadeos_core.luciorbe import is_luciorbe_name

        from .listing import project_files

        root = self.agent.workspace.root
        out: dict[str, tuple[int, int]] = {}
        for rel in project_files(root, git=self.agent.git is not None):
            name = rel.rsplit("/", 1)[-1]
            if is_luciorbe_name(name) or is_atomic_temp(name):
                continue  # kin's own heartbeats (rewritten while the program runs), never the program's edits
            try:
                info = os.stat(root / rel)
            except OSError:
                continue
            out[rel] = (info.st_mtime_ns, info.st_size)
        return out

    def adopt_changes(self, before: dict[str, tuple[int, int]], by: str) -> list[str]:
        """Record what changed since ``before`` as this cycle's edits: allowed paths are committed with the
        cycle, others are recorded as refused (they stay in the work tree, uncommitted). Returns the
        refused paths."""
        from .gate import Edit
        from .policy import Refused

        gate = self.agent.gate
        after = self.snapshot()
        refused = []
        for rel in sorted(set(before) | set(after)):
            if before.get(rel) == after.get(rel):
                continue
            op = "create" if rel not in before else ("delete" if rel not in after else "write")
            try:
                gate.policy.check_write(rel)
            except Refused as exc:
                gate.edits.append(Edit(rel, op, "refused", f"{exc.reason} (changed by {by}; not committed)"))
                refused.append(rel)
                continue
            if op == "create":
                gate.created.add(rel)
            edit = Edit(rel, op, "applied")
            gate.edits.append(edit)
            gate.on_applied(edit)
        return refused
