"""The context plugin's own hooks, as another plugin calls them: context_store and context_retrieve."""
from __future__ import annotations

import pytest

from shadeos_core import Kernel
from shadeos_core.errors import UsageError


def test_hook_context_store_then_context_retrieve_in_another_kernel(project):
    writer = Kernel.load(project)
    assert writer.hooks.call("context_store", workspace=writer.workspace, daemon_id="t.agent",
                             context_type="task_states", data={"task": "parse"}, ttl=60) is True
    reader = Kernel.load(project)  # another process would see it the same way: through the files
    assert reader.hooks.call("context_retrieve", workspace=reader.workspace, daemon_id="t.agent",
                             context_type="task_states") == {"task": "parse"}
    assert reader.hooks.call("context_retrieve", workspace=reader.workspace, daemon_id="t.agent",
                             context_type="nothing_here") is None


def test_hook_context_store_refuses_bad_input_in_one_line(project):
    kernel = Kernel.load(project)
    with pytest.raises(UsageError, match="invalid daemon id"):
        kernel.hooks.call("context_store", workspace=kernel.workspace, daemon_id="../x", context_type="t", data={},
                          ttl=None)
    with pytest.raises(UsageError, match="not JSON"):
        kernel.hooks.call("context_store", workspace=kernel.workspace, daemon_id="t.a", context_type="t",
                          data={"s": {1, 2}}, ttl=None)


def test_without_the_context_plugin_the_hooks_do_not_exist(project):
    kernel = Kernel.load(project, disabled=["context"])
    assert not kernel.hooks.has("context_store")
    assert kernel.hooks.call("context_store", workspace=kernel.workspace, daemon_id="t.a", context_type="t",
                             data={}, ttl=None) is None
