"""The ``builtin`` coder: a bounded tool loop with a model that supports tools, SEARCH/REPLACE rounds without.

Either way the model gets at most ``max_steps`` turns. A tool the model
calls wrongly, an edit the gate refuses, or a SEARCH that does not match
comes back to it as an error it can act on, never as a silent skip.
"""
from __future__ import annotations

import logging
import re
import time
from typing import Any

from .coders import Coder, CoderResult, Job
from .editformat import FORMAT_HELP, FormatError, parse_blocks
from .gate import EditFailed
from .policy import Refused
from .tools import ToolError, validate_arguments

__all__ = ["BuiltinCoder", "NOTHING", "says_nothing_to_do"]

log = logging.getLogger(__name__)
NOTHING = "NOTHING TO DO"
_NOTHING_RE = re.compile(r"\bnothing (?:left |more )?to do\b", re.I)


def says_nothing_to_do(text: str) -> bool:
    return bool(_NOTHING_RE.search(text or ""))


def _never(**_kwargs: Any) -> str:  # llm wants an implementation; the loop below runs the tools itself
    raise RuntimeError("tools are run by the agent, not by llm")


class BuiltinCoder(Coder):
    description = "the model edits through tools (or SEARCH/REPLACE blocks when it has no tools)"

    def run(self, job: Job) -> CoderResult:
        if self.agent.client.supports_tools:
            return self._tool_loop(job)
        return self._block_rounds(job)

    # -- with tools ------------------------------------------------------------------------------
    def _tool_loop(self, job: Job) -> CoderResult:
        import llm

        agent = self.agent
        tools = agent.tools
        offered = [llm.Tool(name=name, description=tool.description, input_schema=tool.parameters,
                            implementation=_never) for name, tool in tools.items()]
        dialogue = agent.client.dialogue(job.system, offered)
        steps: list[dict[str, Any]] = []
        reply = dialogue.say(f"Your task: {job.task}\n\nCarry it out now with the tools. When it is done, call "
                             f"finish with a one-line summary; if there is nothing to do, call finish saying so.")
        limit = agent.settings.max_steps
        for step in range(1, limit + 1):
            agent.show_progress(f"step {step}/{limit}")
            if not reply.tool_calls:
                return self._outcome(job, steps, reply.text)
            results = []
            for call in reply.tool_calls:
                output, outcome, path = self._dispatch(job, call)
                steps.append({"tool": call.name, "outcome": outcome, **({"path": path} if path else {})})
                results.append(llm.ToolResult(name=call.name, output=output, tool_call_id=call.tool_call_id))
                if job.tools.finished is not None:
                    break
            if job.tools.finished is not None:
                return self._outcome(job, steps, job.tools.finished)
            if step == limit:
                break
            reply = dialogue.say(tool_results=results)
        return CoderResult("error", error=f"stopped after max_steps = {limit} turns without finishing", steps=steps)

    def _dispatch(self, job: Job, call: Any) -> tuple[str, str, str | None]:
        """Run one tool call: ``(output for the model, step outcome, path it concerned)``; a ``tool_call`` event
        tells the team."""
        began = time.perf_counter()
        output, outcome, path = self._run_tool(job, call)
        self.agent.emit("tool_call", tool=str(call.name), ok=outcome == "ok", outcome=outcome,
                        duration=round(time.perf_counter() - began, 4), **({"path": path} if path else {}))
        return output, outcome, path

    def _run_tool(self, job: Job, call: Any) -> tuple[str, str, str | None]:
        tools = self.agent.tools
        args = call.arguments if isinstance(call.arguments, dict) else {}
        path = args.get("path") if isinstance(args.get("path"), str) else None
        tool = tools.get(call.name)
        if tool is None:
            return f"error: there is no tool {call.name!r}; tools: {', '.join(tools)}", "error", path
        before = len(job.tools.gate.edits)
        try:
            validate_arguments(tool.parameters, call.arguments)
            return str(tool.function(job.tools, args)), "ok", path
        except ToolError as exc:
            refused = any(e.outcome == "refused" for e in job.tools.gate.edits[before:])
            return f"error: {exc}", "refused" if refused else "error", path
        except Exception as exc:  # a plugin's tool is untrusted code: its failure is the model's information
            log.exception("%s: tool %s failed", self.agent.daemon_id, call.name)
            return f"error: the tool {call.name} failed: {type(exc).__name__}: {exc}", "error", path

    def _outcome(self, job: Job, steps: list[dict[str, Any]], summary: str) -> CoderResult:
        gate = job.tools.gate
        summary = (summary or "").strip()
        if gate.changed or job.tools.notes:
            return CoderResult("ok", summary=summary[:500], steps=steps)
        if any(e.outcome == "refused" for e in gate.edits):
            refused = next(e for e in gate.edits if e.outcome == "refused")
            return CoderResult("refused", summary=summary[:500], error=f"{refused.path}: {refused.reason}",
                               steps=steps)
        if any(e.outcome == "failed" for e in gate.edits):
            failed = next(e for e in gate.edits if e.outcome == "failed")
            return CoderResult("error", summary=summary[:500], error=f"{failed.path}: {failed.reason}", steps=steps)
        return CoderResult("nothing-to-do", summary=summary[:500], steps=steps)

    # -- without tools: SEARCH/REPLACE blocks -----------------------------------------------------
    def _block_rounds(self, job: Job) -> CoderResult:
        agent = self.agent
        gate = job.tools.gate
        dialogue = agent.client.dialogue(job.system)
        steps: list[dict[str, Any]] = []
        reply = dialogue.say(f"Your task: {job.task}\n\n{FORMAT_HELP}\n\nReply with the blocks that carry the task "
                             f"out. If there is nothing to change, reply exactly: {NOTHING}")
        limit = agent.settings.max_steps
        for step in range(1, limit + 1):
            agent.show_progress(f"step {step}/{limit}")
            try:
                blocks = parse_blocks(reply.text)
            except FormatError as exc:
                steps.append({"tool": "search_replace", "outcome": "error"})
                feedback = f"Your reply could not be read: {exc}. Send the blocks again, complete."
            else:
                if not blocks:
                    if gate.changed or says_nothing_to_do(reply.text):
                        return self._outcome(job, steps, reply.text)
                    steps.append({"tool": "search_replace", "outcome": "error"})
                    feedback = (f"Your reply holds no SEARCH/REPLACE block. {FORMAT_HELP}\n\nIf there is nothing to "
                                f"change, reply exactly: {NOTHING}")
                else:
                    before = len(steps)
                    failures = self._apply(gate, blocks, steps)
                    for done in steps[before:]:
                        agent.emit("tool_call", tool="search_replace", ok=done["outcome"] == "ok",
                                   outcome=done["outcome"], path=done["path"])
                    if not failures:
                        return self._outcome(job, steps, f"applied {len(blocks)} edit(s)")
                    feedback = ("These blocks were not applied:\n" + "\n\n".join(failures) +
                                "\n\nThe other blocks were applied. Send corrected blocks for the failed ones only.")
            if step == limit:
                break
            reply = dialogue.say(feedback)
        if gate.changed:
            return CoderResult("error", error=f"some edits still failed after max_steps = {limit} replies", steps=steps)
        return CoderResult("error", error=f"no usable edit after max_steps = {limit} replies", steps=steps)

    @staticmethod
    def _apply(gate: Any, blocks: list[Any], steps: list[dict[str, Any]]) -> list[str]:
        failures = []
        for block in blocks:
            try:
                gate.edit(block.path, block.search, block.replace)
                steps.append({"tool": "search_replace", "outcome": "ok", "path": block.path})
            except Refused as exc:
                steps.append({"tool": "search_replace", "outcome": "refused", "path": block.path})
                failures.append(f"{block.path}: refused: {exc.reason}")
            except EditFailed as exc:
                steps.append({"tool": "search_replace", "outcome": "error", "path": block.path})
                failures.append(f"{block.path}: {exc}")
        return failures

