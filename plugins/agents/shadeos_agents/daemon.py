"""The ``agent`` daemon type: one cycle = one task, carried out by a model and committed.

A cycle: take the task handed over from the queue (or let the model choose
one for the role), assemble the context, let the coder work through the
write gate, commit the files it changed, record the cycle. A missing key or
a spent budget leaves the agent waiting (visible in its luciorbe and ``kin
status``); a model that fails costs retries, then an ``error`` cycle: the
daemon itself never crashes for it.
"""
from __future__ import annotations

import difflib
import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from shadeos_core.daemon import CycleResult, Daemon, Injection, OptionError
from shadeos_core.errors import ConfigError, KinError

from .config import OPTIONS, AgentsConfig, AgentSettings

if TYPE_CHECKING:
    from shadeos_core.kernel import Kernel
    from shadeos_core.tasks import Task
    from shadeos_core.team import DaemonSpec

    from .calls import ModelClient
    from .gate import Edit, WriteGate
    from .gitwork import GitRepo

__all__ = ["AgentDaemon"]

CHOOSE = ("Choose the single most useful concrete task for your role now, given the mission, the project and your "
          "recent cycles. Reply with the task alone, on one line, as an instruction that names the files it "
          "concerns. If there is nothing useful for your role to do, reply exactly: NOTHING TO DO")


class AgentDaemon(Daemon):
    """An LLM agent (see the module docstring); team file keys in :data:`shadeos_agents.config.OPTIONS`."""

    description = "an LLM agent: takes or chooses a task, edits the project through the write gate, commits"
    OPTIONS: ClassVar[dict[str, Any]] = OPTIONS
    accepts_tasks = True

    # -- validation, before anything runs ----------------------------------------------------------
    @classmethod
    def check_options(cls, spec: DaemonSpec, kernel: Kernel) -> None:
        from .modelchoice import choose_model, known_models, unknown_hint
        from .prompting import RoleTemplates, builtin_roles
        from .registry import collect_coders, collect_tools

        config = AgentsConfig.from_workspace(kernel.workspace)
        settings = AgentSettings.of(spec, config, builtin_roles=builtin_roles())
        coders = collect_coders(kernel.hooks).values
        if settings.coder not in coders:
            close = difflib.get_close_matches(settings.coder, list(coders), n=1)
            raise OptionError("coder", f"unknown coder {settings.coder!r}",
                              hint=f"did you mean {close[0]!r}?" if close else f"coders: {', '.join(sorted(coders))}")
        if settings.coder == "command" and not settings.command:
            raise OptionError("command", "the command coder needs an argv template",
                              hint='e.g. command = ["claude", "-p", "{prompt}"]')
        if settings.tools is not None:
            tools = collect_tools(kernel.hooks).values
            for name in settings.tools:
                if name not in tools:
                    close = difflib.get_close_matches(name, list(tools), n=1)
                    raise OptionError("tools", f"unknown tool {name!r}",
                                      hint=f"did you mean {close[0]!r}?" if close else f"tools: {', '.join(tools)}")
        key = "prompt" if settings.prompt else "role"
        try:
            if settings.prompt:
                kernel.workspace.inside(settings.prompt, what="prompt")
            RoleTemplates(kernel.workspace.root).load(settings.role, settings.prompt)
        except KinError as exc:
            raise OptionError(key, str(exc) if exc.where else exc.message, hint=exc.hint) from None
        choice = choose_model(settings.model, config, kernel.workspace)
        known = known_models()
        if choice.model not in known:
            message = f"unknown model {choice.model!r}"
            if choice.source == "team file":
                raise OptionError("model", message, hint=unknown_hint(choice.model, known))
            raise ConfigError(f"{message} (chosen by {choice.source}, for {spec.daemon_id})", where=choice.where,
                              hint=unknown_hint(choice.model, known))

    # -- setup ---------------------------------------------------------------------------------------
    def setup(self) -> None:
        from .leases import Leases
        from .modelchoice import choose_model
        from .prompting import RoleTemplates, builtin_roles
        from .records import AgentRecords
        from .registry import collect_coders, collect_tools

        self.config = AgentsConfig.from_workspace(self.workspace)
        self.settings = AgentSettings.of(self.spec, self.config, builtin_roles=builtin_roles())
        import psutil

        self._started = psutil.Process().create_time()
        self.records = AgentRecords(self.workspace, self.daemon_id)
        self.records.ensure()
        self.leases = Leases(self.workspace, self.daemon_id)
        for record in self.leases.sweep():
            self.log.info("broke a lease left by %s on %s", record.get("holder"), record.get("path"))
        self.git = self._find_git()
        self.choice = choose_model(self.settings.model, self.config, self.workspace)
        self.model_id: str | None = self.choice.model
        self.templates = RoleTemplates(self.workspace.root)
        self.template = self.templates.load(self.settings.role, self.settings.prompt)
        coders = collect_coders(self.kernel.hooks)
        tools = collect_tools(self.kernel.hooks)
        for problem in [*coders.problems, *tools.problems]:
            self.log.warning("%s", problem)
        self.coders = coders.values
        wanted = self.settings.tools
        self.tools = {n: t for n, t in tools.values.items() if wanted is None or n in wanted}
        previous = self.records.status() or {}
        self.totals = {"input_tokens": int(previous.get("input_tokens") or 0),
                       "output_tokens": int(previous.get("output_tokens") or 0),
                       "cycles": int(previous.get("cycles") or 0)}
        self._model_client: ModelClient | None = None
        self.gate: WriteGate = self._new_gate()
        self._said_no_git = False
        self.current_task = ""
        self.waiting_task: Task | None = None
        self.cycles_tokens = [0, 0]
        self.state = ("starting", "")
        self._write_status()
        self._recover()

    def _find_git(self) -> GitRepo | None:
        from .gitwork import GitRepo

        if self.settings.commit is False:
            return None
        return GitRepo.find(self.workspace.root, self.records.directory.parent)

    def _new_gate(self) -> WriteGate:
        from .gate import WriteGate
        from .policy import PathPolicy

        private = []
        llm_dir = os.environ.get("LLM_USER_PATH")
        if llm_dir:
            private.append(self.workspace.root / llm_dir)
        policy = PathPolicy(self.workspace, files=self.settings.files, secrets=self.config.secrets,
                            private_dirs=private)
        return WriteGate(policy, self.leases, lease_wait=self.settings.lease_wait, on_file=self._on_file,
                         on_conflict=self._on_conflict, on_applied=self._on_applied)

    # -- the cycle -----------------------------------------------------------------------------------
    def cycle(self, injections: Sequence[Injection]) -> CycleResult:
        from .budget import BudgetSpent
        from .calls import ModelError, NoKey

        started = time.perf_counter()
        self.cycles_tokens = [0, 0]
        self.current_task = ""
        self.state = ("working", "")
        self.gate = self._new_gate()
        task, source = self._take_task(injections)
        record: dict[str, Any] = {"task": task.text if task else "", "task_id": task.id if task else None,
                                  "task_source": source, "model": self.model_id, "steps": []}
        try:
            client = self.client
            waiting = self._key_missing(client)
            if waiting:
                return self._finish(record, "waiting", started, task, error=waiting, wait=True)
            assert client.budget is not None
            client.budget.check()
            result = self._work(record, task)
        except BudgetSpent as exc:
            return self._finish(record, "budget", started, task, error=exc.line, wait=True,
                                next_in=max(1.0, exc.resume_at - time.time()))
        except NoKey as exc:
            return self._finish(record, "waiting", started, task, error=str(exc), wait=True)
        except ModelError as exc:
            return self._finish(record, "error", started, task, error=f"model {self.model_id}: {exc}")
        except KinError as exc:
            return self._finish(record, "error", started, task, error=str(exc))
        except BaseException:
            # a stop signal (or a crash): the files changed so far stay listed in cycle.json for the next life
            self._append(record, "interrupted", started, error="stopped during the cycle")
            raise
        return self._finish(record, result.outcome, started, task, error=result.error, summary=result.summary,
                            steps=result.steps)

    def _work(self, record: dict[str, Any], task: Task | None) -> Any:
        from .budget import BudgetSpent
        from .calls import ModelError, NoKey
        from .coders import CoderResult, Job
        from .context import ContextBuilder
        from .tools import ToolContext

        builder = ContextBuilder(self, self.count_tokens)
        text = task.text if task else None
        if text is None:
            text = self._choose_task(builder)
            record["task"] = text or ""
            if not text:
                return CoderResult("nothing-to-do", summary="the model found nothing to do for this role")
        self.current_task = text
        self._home(task=text, progress="")
        self.context_put("task_states", {"task": text, "outcome": None, "time": time.time()})
        self.records.begin({"task": text, "started": time.time(), "changed": [], "created": []})
        context = builder.build(text)
        system = self.templates.render(self.template, context.variables)
        coder_cls = self.coders.get(self.settings.coder)
        if coder_cls is None:
            return CoderResult("error", error=f"the coder {self.settings.coder!r} is not installed any more")
        tools = ToolContext(self, self.gate)
        try:
            return coder_cls(self).run(Job(text, system, context.shown, tools))
        except (ModelError, NoKey, BudgetSpent, KinError):
            raise
        except Exception as exc:  # a coder from a plugin is untrusted code: its failure ends the cycle, not the agent
            self.log.exception("%s: coder %s failed", self.daemon_id, self.settings.coder)
            return CoderResult("error", error=f"the coder {self.settings.coder} failed: {type(exc).__name__}: {exc}")
        finally:
            record["notes"] = tools.notes

    def _choose_task(self, builder: Any) -> str | None:
        from .builtin_coder import says_nothing_to_do

        context = builder.build("")
        system = self.templates.render(self.template, context.variables)
        self._home(task="choosing a task", progress="")
        reply = self.client.dialogue(system).say(CHOOSE)
        lines = [line.strip().strip("-*#>`\"' ").strip() for line in reply.text.splitlines()]
        chosen = next((line for line in lines if line), "")
        if not chosen or says_nothing_to_do(chosen):
            return None
        return chosen[:500]

    # -- tasks ---------------------------------------------------------------------------------------
    def _take_task(self, injections: Sequence[Injection]) -> tuple[Task | None, str]:
        from shadeos_core.tasks import TaskQueue

        if self.waiting_task is not None:
            held = TaskQueue(self.workspace).get(self.waiting_task.id)
            self.waiting_task = None
            if held is not None and held.state == "claimed" and held.holder == self.daemon_id:
                return held, "queue"

        for injection in injections:
            message = injection.content
            if injection.type != "message":
                continue
            if getattr(message, "kind", "") == "task":
                task = self.task_of(message)
                if task is not None:
                    return task, "queue"
            elif getattr(message, "kind", "") == "conflict" and isinstance(message.body, dict):
                self.log.info("the orchestrator says: %s", message.body.get("reason", "wait"))
        # Running without an orchestrator handing tasks out: claim one addressed to this agent by name.
        queue = TaskQueue(self.workspace)
        for task in queue.list("queued"):
            if task.to and (task.to == self.daemon_id or task.to == self.name):
                claimed = queue.claim(self.daemon_id, task_id=task.id)
                if claimed is not None:
                    self.emit("task", action="claimed", task=claimed.id, by=claimed.by)
                    return claimed, "queue"
        return None, "model"

    # -- ending a cycle ------------------------------------------------------------------------------
    def _finish(self, record: dict[str, Any], outcome: str, started: float, task: Task | None, *, error: str = "",
                summary: str = "", steps: list[dict[str, Any]] | None = None, wait: bool = False,
                next_in: float | None = None) -> CycleResult:
        # the commit, the record and the task's outcome go together: a stop from here waits for the cycle's end
        self.finishing()
        record["steps"] = steps or []
        if wait and not self.gate.edits and self._same_wait(outcome, error):
            # still waiting for the same thing: say it in the luciorbe, not in one more history line per trigger
            self.waiting_task = task
            self._home(progress=error[:200], waiting=error)
            return CycleResult(status="idle", task=None, progress=error[:200], data={"outcome": outcome},
                               next_in=next_in)
        commit_error = self._commit(record)
        if commit_error and outcome in ("ok", "nothing-to-do"):
            outcome, error = "error", commit_error
        elif commit_error:
            error = f"{error}; {commit_error}" if error else commit_error
        self._append(record, outcome, started, error=error, summary=summary)
        self.records.end()
        self.waiting_task = None
        if task is not None:
            if outcome in ("ok", "nothing-to-do"):
                self.complete_task(task, {"outcome": outcome, "summary": summary, "commit": record.get("commit")})
            elif wait:
                self.waiting_task = task  # kept (still claimed) for when the key or the budget is back
            else:
                self.release_task(task, reason=f"{outcome}: {error}"[:300], failed=outcome != "interrupted")
        self.totals["cycles"] += 1
        self.state = ("waiting" if outcome == "waiting" else "paused" if outcome == "budget" else
                      "error" if outcome == "error" else "idle", error if wait or outcome == "error" else "")
        self._write_status(last=record)
        self._after(record)
        shown = error if wait else (f"{outcome}: {error}" if error else outcome)
        status = "error" if outcome == "error" else "idle" if wait or outcome == "nothing-to-do" else "ok"
        self._home(task=record["task"], progress=shown[:200], waiting=error if wait else "", current_file="")
        return CycleResult(status=status, task=record["task"] or None, progress=shown[:200],
                           notes=summary[:500] or None, data={"outcome": outcome}, next_in=next_in)

    def _same_wait(self, outcome: str, error: str) -> bool:
        last = self.records.last()
        if last is None or last.get("outcome") != outcome:
            return False
        # the same reason, whatever the figures (a budget's spent tokens and resume time move)
        return str(last.get("error", "")).split("(")[0] == error.split("(")[0]

    def _append(self, record: dict[str, Any], outcome: str, started: float, *, error: str = "",
                summary: str = "") -> None:
        from shadeos_core.luciorbe import iso_now

        record.update({
            "time": iso_now(), "cycle": self.totals["cycles"] + 1, "outcome": outcome, "error": error,
            "summary": summary, "edits": [e.to_json() for e in self.gate.edits],
            "input_tokens": self.cycles_tokens[0], "output_tokens": self.cycles_tokens[1],
            "duration": round(time.perf_counter() - started, 3),
        })
        record.setdefault("commit", None)
        self.records.append(record)

    def _commit(self, record: dict[str, Any]) -> str:
        """Commit the files this cycle changed; returns an error line, or ``""``."""
        from .gitwork import CommitFailed

        changed = self.gate.changed
        if not changed:
            return ""
        if self.git is None:
            if self.settings.commit is not False and not self._said_no_git:
                self._said_no_git = True
                self.log.info("%s: not a git repository: changes are not committed", self.workspace.root)
                record["notes"] = [*record.get("notes", []), "not a git repository: no commit"]
            return ""
        try:
            record["commit"] = self.git.commit(changed, commit_message(record["task"], self.daemon_id),
                                               author=f"{self.name} (kin)", email=f"{self.daemon_id}@kin",
                                               new=[p for p in changed if p in self.gate.created])
        except CommitFailed as exc:
            return f"commit failed: {exc}"
        if record["commit"]:
            self.emit("commit", sha=record["commit"], paths=changed, task=record["task"])
        return ""

    def _recover(self) -> None:
        """Commit what a previous life of this agent changed before it died mid-cycle."""
        unfinished = self.records.unfinished()
        if not unfinished:
            return
        from .gate import Edit

        changed = [p for p in unfinished.get("changed", []) if isinstance(p, str)]
        created = {p for p in unfinished.get("created", []) if isinstance(p, str)}
        task = str(unfinished.get("task") or "")
        self.gate.edits = [Edit(p, "create" if p in created else "edit", "applied") for p in changed]
        self.gate.created = created
        record: dict[str, Any] = {"task": task, "task_id": None, "task_source": "recovered",
                                  "model": self.model_id, "steps": []}
        self.cycles_tokens = [0, 0]
        error = self._commit(record)
        record["summary"] = "committed the changes of a cycle the agent did not finish (it was stopped)"
        self._append(record, "interrupted", time.perf_counter(), error=error)
        self.records.end()
        self.gate = self._new_gate()

    def _after(self, record: dict[str, Any]) -> None:
        """Tell the rest of the team: an event, the mid-term context, a short somatic memory."""
        edited = sorted({e["path"] for e in record["edits"] if e.get("outcome") == "applied"})
        self.emit("agent_cycle", task=record["task"], outcome=record["outcome"], model=self.model_id,
                  input_tokens=record["input_tokens"], output_tokens=record["output_tokens"], edited=edited,
                  commit=record.get("commit"), error=record.get("error", ""))
        self.context_put("task_states", {"task": record["task"], "outcome": record["outcome"], "edited": edited,
                                         "time": time.time()})
        if record["outcome"] == "ok" and record["task"]:
            what = f"{self.daemon_id} ({self.settings.role}) did: {record['task']}"
            if edited:
                what += f"; changed {', '.join(edited)}"
            self.remember(what, stratum="somatic", quiet=True)

    # -- the model --------------------------------------------------------------------------------------
    @property
    def client(self) -> ModelClient:
        """The agent's model client (made on first use: resolving the model may raise a ``ConfigError``)."""
        from .budget import Budget, UsageLedger
        from .calls import ModelClient
        from .modelchoice import key_state, resolve_model

        if self._model_client is None:
            model = resolve_model(self.choice)
            self.model_id = str(getattr(model, "model_id", self.choice.model))
            budget = Budget(UsageLedger(self.records.usage_path), per_hour=self.settings.tokens_per_hour,
                            per_day=self.settings.tokens_per_day, team_per_day=self.config.tokens_per_day,
                            team_dir=self.records.directory.parent, team=self.team.name)
            self._model_client = ModelClient(model, timeout=self.settings.timeout, retries=self.settings.retries,
                                      backoff=self.settings.backoff, budget=budget,
                                      key_hint=key_state(model).how_to_set or "llm keys set <provider>",
                                      estimate=self.count_tokens, on_usage=self._on_usage, on_retry=self._on_retry,
                                      on_call=self._on_model_call)
        return self._model_client

    def _key_missing(self, client: ModelClient) -> str:
        from .modelchoice import key_state

        state = key_state(client.model)
        if state.present:
            return ""
        if self.choice.source == "llm default":
            # nothing chose a model: say every way out, in one line
            return (f"waiting: no model configured (llm's default {client.model_id} needs a key) — run: "
                    f"llm keys set {state.needed}, or set [agents] model in kin.toml (kin models lists them; "
                    "a local model: llm install llm-ollama)")
        return f"waiting: no key for {client.model_id} — run: {state.how_to_set}"

    def _on_usage(self, input_tokens: int, output_tokens: int, estimated: bool) -> None:
        self.cycles_tokens[0] += input_tokens
        self.cycles_tokens[1] += output_tokens
        self.totals["input_tokens"] += input_tokens
        self.totals["output_tokens"] += output_tokens
        client = self._model_client
        assert client is not None and client.budget is not None
        client.budget.ledger.add(input_tokens + output_tokens)
        self._home(input_tokens=self.totals["input_tokens"], output_tokens=self.totals["output_tokens"])

    def _on_model_call(self, duration: float, input_tokens: int, output_tokens: int, error: str | None) -> None:
        self.emit("model_call", model=self.model_id, input_tokens=input_tokens, output_tokens=output_tokens,
                  duration=round(duration, 4), **({"error": error} if error else {}))

    def _on_retry(self, error: Any, pause: float) -> None:
        self.log.warning("%s: model %s: %s; retrying in %.1fs", self.daemon_id, self.model_id, error, pause)
        self._home(progress=f"retrying in {pause:.0f}s: {error}"[:200])

    def count_tokens(self, text: str) -> int:
        if text:
            try:
                value = self.kernel.hooks.call("count_tokens", text=text, path="")
                if isinstance(value, int) and value >= 0:
                    return value
            except Exception:
                self.log.debug("count_tokens failed; estimating", exc_info=True)
        return len(text) // 4 + 1 if text else 0

    # -- what the gate reports -----------------------------------------------------------------------------
    def _on_file(self, rel: str) -> None:
        self._home(current_file=rel)

    def _on_conflict(self, kind: str, rel: str, other: str) -> None:
        self.emit("conflict", file=rel, holder=other, waiting=self.daemon_id, source=kind)
        self.log.info("%s: %s on %s%s", self.daemon_id, "waiting for the lease" if kind == "lease" else
                      "the file changed since it was read", rel, f" (held by {other})" if other else "")

    def _on_applied(self, edit: Edit) -> None:
        gate = self.gate
        self.records.begin({"task": self.current_task, "started": time.time(), "changed": gate.changed,
                            "created": sorted(gate.created)})
        self.emit("edit", **edit.to_json())

    # -- luciorbe, status ----------------------------------------------------------------------------------
    def _home(self, **fields: Any) -> None:
        fields.setdefault("model", self.model_id)
        try:
            self.luciorbes.open(self.spec.workdir, **fields)
        except (OSError, KinError, ValueError):
            self.log.debug("luciorbe update failed", exc_info=True)

    def show_progress(self, text: str) -> None:
        self._home(progress=text)

    def _write_status(self, last: dict[str, Any] | None = None) -> None:
        from shadeos_core.luciorbe import iso_now

        state, reason = self.state
        status = {"team": self.team.name, "name": self.name, "role": self.settings.role, "model": self.model_id,
                  "model_source": self.choice.source, "coder": self.settings.coder, "pid": os.getpid(),
                  "pid_started": self._started,
                  "state": state, "reason": reason, **self.totals, "updated": iso_now()}
        if last is not None:
            status.update({"last_task": last.get("task"), "last_outcome": last.get("outcome")})
        else:
            previous = self.records.status() or {}
            status.update({"last_task": previous.get("last_task"), "last_outcome": previous.get("last_outcome")})
        try:
            self.records.write_status(status)
        except OSError:
            self.log.warning("cannot write %s", self.records.status_path, exc_info=True)

    def status(self) -> dict[str, Any]:
        if not hasattr(self, "records"):
            return super().status()
        return {**super().status(), "role": self.settings.role, "model": self.model_id, "state": self.state[0],
                **self.totals}

    def teardown(self) -> None:
        if not hasattr(self, "records"):
            return  # setup did not get far enough to have anything to say
        self.state = ("stopped", "")
        self._write_status()

    # -- services for tools and coders ---------------------------------------------------------------------
    def check_member(self, name: str) -> None:
        """A :class:`~shadeos_agents.tools.ToolError` unless ``name`` is a member of the team (or a full id)."""
        from .tools import ToolError

        members = [s.name for s in self.team.members()]
        if name in members or "." in name:
            return
        close = difflib.get_close_matches(name, members, n=1)
        raise ToolError(f"no agent named {name!r} in the team" + (f"; did you mean {close[0]!r}?" if close else
                                                                   f"; members: {', '.join(members)}"))

    def recall(self, query: str, *, limit: int = 5) -> list[dict[str, Any]] | None:
        """Memories matching ``query`` through the archivist's hook; ``None`` when no archivist is installed."""
        hooks = self.kernel.hooks
        if not hooks.has("memory_search"):
            return None
        try:
            hits = hooks.call("memory_search", workspace=self.workspace, query=query, strata=None, namespace=None,
                              limit=limit)
        except Exception:
            self.log.warning("memory search failed", exc_info=True)
            return []
        return list(hits or [])

    def remember(self, content: str, *, stratum: str = "somatic", quiet: bool = False) -> str | None:
        """Store a memory in this agent's namespace; ``None`` when no archivist is installed."""
        hooks = self.kernel.hooks
        if not hooks.has("memory_store"):
            return None
        try:
            memory_id: str | None = hooks.call(
                "memory_store", workspace=self.workspace, stratum=stratum, content=content,
                namespace=f"daemons/{self.daemon_id}", summary=None, keywords=[self.settings.role, "agent"],
                metadata={"daemon_id": self.daemon_id}, author=self.daemon_id)
            return memory_id
        except KinError:
            if quiet:
                self.log.warning("storing a memory failed", exc_info=True)
                return None
            raise
        except Exception:
            self.log.warning("storing a memory failed", exc_info=True)
            return None

    def context_get(self, daemon_id: str, context_type: str) -> dict[str, Any] | None:
        hooks = self.kernel.hooks
        if not hooks.has("context_retrieve"):
            return None
        try:
            data: dict[str, Any] | None = hooks.call("context_retrieve", workspace=self.workspace,
                                                     daemon_id=daemon_id, context_type=context_type)
            return data
        except Exception:
            self.log.debug("context read failed", exc_info=True)
            return None

    def context_put(self, context_type: str, data: dict[str, Any]) -> None:
        hooks = self.kernel.hooks
        if not hooks.has("context_store"):
            return
        try:
            hooks.call("context_store", workspace=self.workspace, daemon_id=self.daemon_id,
                       context_type=context_type, data=data, ttl=None)
        except Exception:
            self.log.debug("context write failed", exc_info=True)


def commit_message(task: str, daemon_id: str) -> str:
    """The task as the subject (cut at 72 characters, whole in the body then), and who did it."""
    text = " ".join((task or "work of the cycle").split())
    subject = text if len(text) <= 72 else text[:71] + "…"
    body = f"\n\n{text}" if subject != text else ""
    return f"{subject}{body}\n\nKin-Agent: {daemon_id}\n"
