"""Real installs in a fresh virtual environment: the bare core, the example third-party plugin, plugin wheels."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import wait_for

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "kin-hello"
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh virtualenv with only the core installed (from this checkout, not editable)."""
    where = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    python = where / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "setuptools>=68", "wheel"], check=True, timeout=600)
    subprocess.run([*pip, "--no-build-isolation", str(ROOT)], check=True, timeout=600)
    return where


def kin_in(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KIN_PLUGINS", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([str(venv / "bin" / "kin"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_bare_core_installs_runs_and_says_which_plugin_to_install(venv, tmp_path):
    plugins = json.loads(kin_in(venv, "plugins", "--json", cwd=tmp_path).stdout)
    assert [p["name"] for p in plugins] == ["core"]
    assert kin_in(venv, "init", cwd=tmp_path).returncode == 0
    proc = kin_in(venv, "run", "default", cwd=tmp_path)
    assert proc.returncode == 2 and "pip install shadeos-orchestrator" in proc.stderr


def test_example_plugin_installs_with_pip_and_shows_up_everywhere(venv, tmp_path):
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-build-isolation",
                    "--disable-pip-version-check", str(EXAMPLE)], check=True, timeout=600)
    plugins = {p["name"]: p for p in json.loads(kin_in(venv, "plugins", "--json", cwd=tmp_path).stdout)}
    assert plugins["hello"]["dist"] == "kin-hello" and plugins["hello"]["version"] == "1.0.0"
    assert set(plugins["hello"]["hooks"]) == {"register_daemons", "register_janitors", "register_checks",
                                              "register_teams", "register_commands"}
    teams = {t["name"]: t for t in json.loads(kin_in(venv, "teams", "--json", cwd=tmp_path).stdout)}
    assert teams["hello"]["source"].endswith("hello.toml (plugin:hello)") and teams["hello"]["daemons"] == ["greeter"]
    assert kin_in(venv, "hello", "Ada", cwd=tmp_path).stdout == "Hello, Ada!\n"

    (tmp_path / "teams").mkdir()
    (tmp_path / "teams" / "m.toml").write_text('[team]\nmission = "demande.md"\n[daemons.g]\ntype = "hello"\n')
    failing = kin_in(venv, "check", cwd=tmp_path)
    assert failing.returncode == 1 and "[mission]" in failing.stdout and "demande.md" in failing.stdout
    (tmp_path / "demande.md").write_text("Build a parser.\n")
    assert kin_in(venv, "check", cwd=tmp_path).returncode == 0

    janitors = subprocess.run([str(venv / "bin" / "python"), "-c",
                               "from shadeos_core import Kernel; print(list(Kernel.load('.').janitors))"],
                              cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "hello-tmp" in janitors.stdout

    # the plugin's daemon type runs in a real runner process and stops cleanly
    runner = subprocess.Popen([str(venv / "bin" / "python"), "-m", "shadeos_core.runner", "--team", "m",
                               "--daemon", "g"], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (tmp_path / "hello.txt").exists(), what="the greeting")
        assert (tmp_path / "hello.txt").read_text().startswith("Hello, world! (cycle 1)")
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=10) == 0
        assert not list(tmp_path.glob(".luciorbe*"))
    finally:
        runner.kill()
        runner.wait()


@pytest.mark.parametrize("name", PLUGINS)
def test_each_plugin_builds_a_wheel_on_its_own(venv, tmp_path, name):
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "wheel", "--quiet", "--no-deps",
                           "--no-build-isolation", "--disable-pip-version-check", "-w", str(tmp_path),
                           str(ROOT / "plugins" / name)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    wheels = [p.name for p in tmp_path.glob("*.whl")]
    assert len(wheels) == 1 and wheels[0].startswith(f"shadeos_{name}-0.1.0-")
