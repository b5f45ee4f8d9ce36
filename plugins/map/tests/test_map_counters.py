"""The counting hook: the offline estimator, the tiktoken counter's offline rule, and counter precedence."""
from __future__ import annotations

import os
import subprocess
import sys
from importlib.util import find_spec

import pytest

from shadeos_core.kernel import Kernel
from shadeos_map.counter import CountFailed, TokenCounter
from shadeos_map.estimator import estimate_tokens


def test_estimator_is_offline_and_sane():
    assert estimate_tokens("") == 0
    assert estimate_tokens("a") == 1
    prose = "The map keeps every document within what a model can read. " * 50
    assert 500 <= estimate_tokens(prose) <= 800  # 12 words and a full stop, 50 times
    french = "Le résumé décrit l'état du projet et ses fichiers trop longs. " * 50
    assert estimate_tokens(french) > estimate_tokens(french.encode("ascii", "ignore").decode())


def test_estimator_answers_through_the_hook_when_nothing_else_does(project):
    kernel = Kernel.load(project)
    text = "def f(x):\n    return x + 1\n"
    assert TokenCounter(kernel.hooks).count(text, "f.py") == estimate_tokens(text)


def test_a_plugin_counter_wins_over_the_estimator_and_failures_raise(project):
    class Words:
        from shadeos_core.hookspecs import hookimpl

        @hookimpl
        def count_tokens(self, text, path):
            if path.endswith(".bad"):
                return "many"
            return len(text.split())

    kernel = Kernel.load(project, extra=[("words", Words())])
    counter = TokenCounter(kernel.hooks)
    assert counter.count("one two three", "a.md") == 3
    with pytest.raises(CountFailed, match="not .*count|no token counter"):
        counter.count("one two", "x.bad")
    assert counter.identity() != TokenCounter(Kernel.load(project).hooks).identity()


@pytest.mark.skipif(find_spec("tiktoken") is None, reason="tiktoken is not installed")
def test_tiktoken_counter_never_downloads(tmp_path):
    # tiktoken imports requests only to download: it must never get that far.
    code = ("import sys\n"
            "from shadeos_map import tiktoken_counter as t\n"
            "print(t.encoding() is None, t.count_tokens(text='hello world', path='a'), 'requests' in sys.modules)\n")
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache"), "HTTPS_PROXY": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, text=True, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "None", "False"]
    assert not (tmp_path / "empty-cache").exists()
