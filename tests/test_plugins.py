"""Plugins load one at a time: a broken one is rolled back and reported, the others keep working."""
import json

import pytest
from helpers import plugin_env


def plugins_json(kin, project, *modules, args=(), **env):
    proc = kin(*args, "plugins", "--json", cwd=project, env=plugin_env(*modules, **env))
    assert proc.returncode == 0, proc.stderr
    return {p["name"]: p for p in json.loads(proc.stdout)}, proc.stderr


def test_kin_plugins_lists_name_dist_version_hooks(kin, project):
    plugins, _ = plugins_json(kin, project, "sampledaemons")
    assert plugins["core"]["dist"] == "shadeos" and plugins["core"]["version"] and plugins["core"]["builtin"]
    assert plugins["sampledaemons"]["hooks"] == ["register_daemons", "register_meta_daemons"]
    assert plugins["sampledaemons"]["loaded"] is True


@pytest.mark.parametrize("module, reason", [
    ("broken_import", "ImportError: this plugin needs a library that is not installed"),
    ("typo_hook", "'regsiter_daemons', which is not a known hook (did you mean 'register_daemons'?)"),
    ("dup_register", "daemon type 'recorder' is already registered by 'sampledaemons'"),
])
def test_a_bad_plugin_is_reported_in_one_line_and_skipped(kin, project, write, module, reason):
    plugins, stderr = plugins_json(kin, project, "sampledaemons", module)
    assert plugins[module]["loaded"] is False and reason in plugins[module]["error"]
    warnings = [line for line in stderr.splitlines() if module in line]
    assert len(warnings) == 1 and warnings[0].startswith("kin: warning: plugin") and reason in warnings[0]
    # everything else still works, including what the rejected plugin registered before its mistake
    write("teams/t.toml", '[daemons.a]\ntype = "recorder"\n')
    teams = json.loads(kin("teams", "--json", cwd=project, env=plugin_env("sampledaemons", module)).stdout)
    assert teams[0]["valid"] is True
    if module == "dup_register":
        write("teams/u.toml", '[daemons.a]\ntype = "solo"\n')
        proc = kin("teams", "show", "u", cwd=project, env=plugin_env("sampledaemons", module))
        assert proc.returncode == 2 and "unknown daemon type 'solo'" in proc.stderr


def test_strict_mode_makes_a_plugin_failure_fatal(kin, project):
    proc = kin("plugins", cwd=project, env=plugin_env("broken_import", KIN_STRICT_PLUGINS="1"))
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "broken_import" in proc.stderr and "Traceback" not in proc.stderr


def test_plugins_can_be_blocked_by_env_and_option(kin, project):
    plugins, _ = plugins_json(kin, project, "sampledaemons", KIN_DISABLE_PLUGINS="sampledaemons")
    assert "sampledaemons" not in plugins
    plugins, _ = plugins_json(kin, project, "sampledaemons", "eventlog", args=("-p", "no:sampledaemons"))
    assert "sampledaemons" not in plugins and "eventlog" in plugins
    proc = kin("-p", "sampledaemons", "plugins", cwd=project)
    assert proc.returncode == 2 and "-p takes no:NAME" in proc.stderr


def test_kernel_registries_name_their_plugin(project, monkeypatch):
    from pathlib import Path

    from shadeos_core import Kernel

    monkeypatch.syspath_prepend(str(Path(__file__).parent / "kinplugins"))
    monkeypatch.setenv("KIN_PLUGINS", "sampledaemons")
    kernel = Kernel.load(project)
    assert kernel.daemon_types.owner("recorder") == "sampledaemons"
    assert "teams" in kernel.checks
