"""Every hook of the contract is exercised here, and documented in docs/plugin-guide.md."""
import inspect
import json
import re
from pathlib import Path

import pluggy
import pytest
from helpers import plugin_env

import shadeos_core.hookspecs as hookspecs_module
from shadeos_core import CommandSpec, DaemonEvent, Kernel
from shadeos_core.hooks import Hooks
from shadeos_core.hookspecs import HOOK_NAMES

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "plugin-guide.md"


@pytest.fixture
def kernel(project, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "kinplugins"))
    monkeypatch.setenv("KIN_PLUGINS", "allhooks")
    kernel = Kernel.load(project)
    assert kernel.plugins.failures == []
    return kernel


def test_hook_register_daemons(kernel):
    assert kernel.daemon_types.owner("plain") == "allhooks"


def test_hook_register_meta_daemons(kernel):
    assert kernel.meta_daemon_types.owner("meta") == "allhooks"


def test_hook_register_memory_backends(kernel, tmp_path):
    backend = kernel.memory_backends["dict"](tmp_path, {})
    backend.add([{"id": "m1", "content": "hello world"}])
    assert backend.search("world") == [("m1", 1.0)]


def test_hook_register_janitors(kernel):
    assert kernel.janitors["nothing"](kernel.workspace).clean(dry_run=True) == []


def test_hook_register_execution_modes(kernel):
    result = kernel.execution_modes["echo"](kernel.workspace).run(CommandSpec(["a", "b"]))
    assert (result.stdout, result.mode) == ("a b", "echo")


def test_hook_register_teams(kernel):
    team = kernel.teams().get("shipped")
    assert team.source.kind == "plugin:allhooks" and [s.name for s in team.members()] == ["meta", "p"]


def test_hook_register_teams_is_overridden_by_a_project_team(kernel, write):
    write("teams/shipped.toml", '[daemons.mine]\ntype = "plain"\n')
    assert list(kernel.teams().get("shipped").daemons) == ["mine"]


def test_hook_register_checks(kin, project):
    proc = kin("check", "--json", cwd=project, env=plugin_env("allhooks"))
    assert proc.returncode == 0
    assert {"check": "always-warns", "level": "warning"}.items() <= json.loads(proc.stdout)[0].items()


def test_hook_register_commands(kin, project):
    assert kin("allhooks", cwd=project, env=plugin_env("allhooks"), check=True).stdout == "all hooks here\n"


def test_hook_run_team(kin, project, tmp_path):
    out = tmp_path / "ran.json"
    proc = kin("shipped", cwd=project, env=plugin_env("allhooks", KIN_TEST_RUN_TEAM=str(out)))
    assert proc.returncode == 7
    assert json.loads(out.read_text()) == {"team": "shipped", "members": ["shipped.meta", "shipped.p"]}


def test_hook_daemon_event(kernel, tmp_path, monkeypatch):
    out = tmp_path / "events.jsonl"
    monkeypatch.setenv("KIN_TEST_EVENTS", str(out))
    kernel.emit(DaemonEvent("conflict", "t.a", "t", {"file": "x.py"}))
    assert kernel.flush_events()  # delivered on the kernel's event thread
    event = json.loads(out.read_text())
    assert (event["kind"], event["daemon_id"], event["data"]) == ("conflict", "t.a", {"file": "x.py"})


def test_hook_add_hookspecs(kernel):
    assert kernel.hooks.call("summarise", text="First sentence. Second.") == "First sentence"


# -- the discipline: every hook has a test above, a typed call and a section in the guide ----------------

def _sections() -> dict[str, tuple[tuple[str, ...], str]]:
    """Each ``### `hook(arg, ...)``` section of the guide's "Hooks" chapter: its arguments and its text."""
    hooks_chapter = re.search(r"^## Hooks\n(.*?)(?=^## |\Z)", GUIDE.read_text(), re.S | re.M)
    assert hooks_chapter, "docs/plugin-guide.md has no '## Hooks' chapter"
    found = {}
    for match in re.finditer(r"^### `(\w+)\(([^)]*)\)`\n(.*?)(?=^### |\Z)", hooks_chapter.group(1), re.S | re.M):
        args = tuple(arg.strip() for arg in match.group(2).split(",") if arg.strip())
        found[match.group(1)] = (args, match.group(3))
    return found


@pytest.fixture(scope="module")
def live():
    """The hooks of a plugin manager holding the core's specs alone."""
    pm = pluggy.PluginManager(hookspecs_module.PROJECT)
    pm.add_hookspecs(hookspecs_module)
    return Hooks(pm)


def test_hook_names_are_the_specs_pluggy_sees(live):
    assert sorted(HOOK_NAMES) == live.declared()
    assert HOOK_NAMES[0] == "register_daemons"  # in the order the module declares them


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_has_a_test(hook):
    assert f"test_hook_{hook}" in globals(), f"hook {hook!r} has no test_hook_{hook} in tests/test_hooks.py"


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_has_a_typed_call_taking_the_spec_arguments(hook, live):
    method = getattr(Hooks, hook, None)
    assert method is not None, f"shadeos_core.hooks.Hooks has no method {hook!r}"
    params = inspect.signature(method).parameters
    assert set(live.arguments(hook)) <= set(params), f"Hooks.{hook} does not take every argument of the spec"
    assert all(p.kind is p.KEYWORD_ONLY for name, p in params.items() if name != "self"), "hooks take keywords only"


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_is_documented_with_its_signature_and_an_example(hook, live):
    sections = _sections()
    assert hook in sections, f"docs/plugin-guide.md has no section '### `{hook}(...)`'"
    documented, text = sections[hook]
    spec = live.arguments(hook)
    assert documented == spec, f"the guide says {hook}({', '.join(documented)}), the spec {hook}({', '.join(spec)})"
    assert "```python" in text, f"the section for {hook!r} has no example"
    for example in re.finditer(rf"@hookimpl[^\n]*\ndef {hook}\(([^)]*)\)", text):
        used = {arg.strip() for arg in example.group(1).split(",") if arg.strip()}
        assert used <= set(spec), f"the example of {hook!r} takes {sorted(used)}: not all are arguments"


def test_the_guide_documents_no_hook_that_does_not_exist(live):
    assert set(_sections()) <= set(live.declared())


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hookspec_has_a_docstring(hook):
    assert (getattr(hookspecs_module, hook).__doc__ or "").strip()
