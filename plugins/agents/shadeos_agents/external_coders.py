"""Coders that hand the task to another program: ``aider``, or any CLI agent through an argv template.

``coder = "aider"`` runs ``aider --message <prompt> --yes-always
--no-auto-commits <files of the task>`` (the team file's ``command`` list
adds arguments, e.g. ``["--model", "sonnet"]``). ``coder = "command"`` runs
the team file's ``command`` template, e.g. ``["claude", "-p", "{prompt}"]`` or
``["codex", "exec", "{prompt}"]``: ``{prompt}`` (the task with the role's
prompt and context), ``{task}``, ``{model}`` and ``{files}`` (an argument of
its own: one argument per file) are filled in. Both run through the process
plugin's ``blocking`` mode with the agent's ``command_timeout``. What the
program changed is found by comparing the project's files before and after:
changes the agent's rules allow are committed with the cycle, others are
recorded as refused and left in the work tree, uncommitted.
"""
from __future__ import annotations

import shutil
from typing import Any

from shadeos_core.execution import CommandSpec

from .coders import Coder, CoderResult, Job

__all__ = ["AiderCoder", "CommandCoder"]

_TAIL = 2000


class ExternalCoder(Coder):
    """Runs a program on the task, then adopts the changes it made."""

    label = "program"

    def argv(self, job: Job) -> list[str] | CoderResult:
        raise NotImplementedError

    def run(self, job: Job) -> CoderResult:
        argv = self.argv(job)
        if isinstance(argv, CoderResult):
            return argv
        agent = self.agent
        mode_cls = agent.kernel.execution_modes.get("blocking")
        if mode_cls is None:
            return CoderResult("error", error=f"the {self.label} coder needs the process plugin: "
                                              "pip install shadeos-process")
        before = self.snapshot()
        result = mode_cls(agent.workspace).run(CommandSpec(argv, cwd=str(agent.workspace.root),
                                                           timeout=agent.settings.command_timeout,
                                                           owner=agent.daemon_id))
        refused = self.adopt_changes(before, by=argv[0])
        output = (result.stdout + result.stderr).strip()
        step = {"tool": self.label, "outcome": "ok" if result.returncode == 0 and not result.timed_out else "error"}
        if result.timed_out:
            return CoderResult("error", error=f"{argv[0]} timed out after {agent.settings.command_timeout:g}s",
                               steps=[step])
        if result.returncode != 0:
            return CoderResult("error", error=f"{argv[0]} exited with {result.returncode}: {output[-_TAIL:]}",
                               steps=[step])
        if agent.gate.changed:
            return CoderResult("ok", summary=output[-500:], steps=[step])
        if refused:
            return CoderResult("refused", error=f"{argv[0]} changed only files this agent may not change: "
                                                + ", ".join(refused), steps=[step])
        return CoderResult("nothing-to-do", summary=output[-500:], steps=[step])


class AiderCoder(ExternalCoder):
    description = "runs aider on the task's files (aider must be installed: pip install aider-chat)"
    label = "aider"

    def argv(self, job: Job) -> list[str] | CoderResult:
        program = shutil.which("aider")
        if program is None:
            return CoderResult("error", error="aider is not installed: pip install aider-chat "
                                              '(or use coder = "builtin")')
        prompt = f"{job.task}\n\n(Working as the {self.agent.settings.role} agent of this project.)"
        return [program, "--message", prompt, "--yes-always", "--no-auto-commits", *self.agent.settings.command,
                *job.files]


class CommandCoder(ExternalCoder):
    description = "runs a command-line agent from an argv template (command = [\"claude\", \"-p\", \"{prompt}\"])"
    label = "command"

    def argv(self, job: Job) -> list[str] | CoderResult:
        template = self.agent.settings.command
        if not template:
            return CoderResult("error", error='the command coder needs command = ["program", "{prompt}"]')
        values: dict[str, Any] = {"prompt": f"{job.system}\n\nYour task: {job.task}", "task": job.task,
                                  "model": self.agent.model_id or ""}
        argv: list[str] = []
        for part in template:
            if part == "{files}":
                argv.extend(job.files)
                continue
            text = part
            for key, value in values.items():
                text = text.replace("{" + key + "}", str(value))
            argv.append(text)
        program = shutil.which(argv[0]) if "/" not in argv[0] else argv[0]
        if program is None:
            return CoderResult("error", error=f"{argv[0]!r} is not installed (not found on PATH)")
        return [program, *argv[1:]]
