"""Without the ray plugin, a team or a command that asks for the ray mode gets one clear line (no Ray needed)."""
from __future__ import annotations

import sys
from pathlib import Path

LINE = "execution mode 'ray' is not installed: pip install shadeos-ray (in this repository pip install -e plugins/ray)"
ABSENT = {"KIN_DISABLE_PLUGINS": "ray"}


def test_kin_exec_mode_ray_without_the_plugin_says_how_to_install_it(kin, project: Path) -> None:
    proc = kin("exec", "--mode", "ray", "--", sys.executable, "-c", "print('ran')", cwd=project, env=ABSENT)
    assert proc.returncode == 2
    assert "ran" not in proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and LINE in lines[0], proc.stderr


def test_a_team_asking_for_ray_without_the_plugin_is_refused_in_one_line(kin, project: Path) -> None:
    (project / "teams").mkdir()
    (project / "teams" / "remote.toml").write_text(f"""
[team]
name = "remote"

[daemons.checker]
type = "command"
mode = "ray"
resources = {{ node_b = 1 }}
command = ["{sys.executable}", "-c", "print('ran')"]
every = "1s"
""")
    for args in (("run", "remote"), ("check",)):
        proc = kin(*args, cwd=project, env=ABSENT, timeout=60)
        assert proc.returncode != 0, (args, proc.stdout, proc.stderr)
        # kin run says it on stderr, kin check among its findings on stdout: once, with the file and line
        lines = [line for line in (proc.stdout + proc.stderr).splitlines() if "ray" in line]
        assert len(lines) == 1 and LINE in lines[0] and "remote.toml:7: daemons.checker.mode" in lines[0], \
            (args, proc.stdout, proc.stderr)
    assert not (project / ".kin" / "run" / "processes").exists() or \
        not list((project / ".kin" / "run" / "processes").iterdir())
