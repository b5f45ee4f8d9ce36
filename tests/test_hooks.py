"""Every hook of the contract is exercised here, and documented in docs/plugin-guide.md."""
import json
import re
from pathlib import Path

import pytest

from helpers import plugin_env
from shadeos_core import CommandSpec, DaemonEvent, Kernel
from shadeos_core.hookspecs import HOOK_NAMES
import shadeos_core.hookspecs as hookspecs_module

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
    assert kernel.pm.hook.summarise(text="First sentence. Second.") == "First sentence"


# -- the discipline: every hook has a test above and a section in the guide ----------------------

def test_every_hookspec_is_listed():
    declared = {name for name in dir(hookspecs_module) if hasattr(getattr(hookspecs_module, name), "shadeos_spec")}
    assert declared == set(HOOK_NAMES)


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_has_a_test(hook):
    assert f"test_hook_{hook}" in globals(), f"hook {hook!r} has no test_hook_{hook} in tests/test_hooks.py"


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_is_documented_with_an_example(hook):
    text = GUIDE.read_text()
    match = re.search(rf"^### `{hook}`\n(.*?)(?=^### |^## |\Z)", text, re.S | re.M)
    assert match, f"docs/plugin-guide.md has no section for {hook!r}"
    assert "```python" in match.group(1), f"the section for {hook!r} has no example"


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hookspec_has_a_docstring(hook):
    assert (getattr(hookspecs_module, hook).__doc__ or "").strip()
