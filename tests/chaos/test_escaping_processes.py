"""Daemons and commands whose descendants daemonise (fork, setsid, fork again): nothing they leave behind
survives a restart of their daemon, Ctrl+C or kin stop."""
from __future__ import annotations

import json
import os
import signal
import sys

import psutil
from chaos_kit import chaos_env

from shadeos_core.testing import TeamRun, team_processes, wait_for

ESCAPE = ("import os, sys, time\n"
          "if os.fork(): sys.exit(0)\n"
          "os.setsid()\n"
          "if os.fork(): sys.exit(0)\n"
          "open('cmd-escaped.pid', 'a').write(str(os.getpid()) + '\\n')\n"
          "time.sleep(3600)\n")


def pids(path) -> list[int]:
    try:
        return [int(line) for line in path.read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_what_daemons_and_commands_leave_behind_goes_with_them(project, write, kin):
    command = json.dumps([sys.executable, "-c", ESCAPE])
    write("teams/t.toml", '[team]\ncycle = "0.2s"\nstop_timeout = "5s"\n'
                          '[daemons.esc]\ntype = "escaper"\nevery = "1h"\nheartbeat = "0.5s"\nstart_seconds = "0.3s"\n'
                          f'[daemons.cmd]\ntype = "command"\ncommand = {command}\nevery = "1h"\nheartbeat = "0.5s"\n'
                          'start_seconds = "0.3s"\n')
    run = TeamRun(project, "t", chaos_env("chaos_daemons"))
    try:
        esc = wait_for(lambda: (d := run.daemon("esc")) and d["state"] == "RUNNING" and d, 60, "esc RUNNING")
        first = wait_for(lambda: pids(project / "escaped.pid"), 30, "the daemon's escaped process")[0]
        from_cmd = wait_for(lambda: pids(project / "cmd-escaped.pid"), 30, "the command's escaped process")[0]
        # both daemonised out of their trees, and were given back to the orchestrator
        wait_for(lambda: psutil.Process(first).ppid() == run.proc.pid, 10, "the orphan adopted")
        assert alive(first) and alive(from_cmd) and psutil.Process(from_cmd).ppid() == run.proc.pid
        os.kill(esc["pid"], signal.SIGKILL)  # the daemon dies: what it left behind goes too, then it restarts
        wait_for(lambda: not alive(first), 30, "the old daemon's escaped process gone")
        wait_for(lambda: len(pids(project / "escaped.pid")) == 2, 30, "the restarted daemon's own one")
        second = pids(project / "escaped.pid")[1]
        assert alive(second) and alive(from_cmd)  # the other daemon's is not touched
        stop = kin("stop", "t", cwd=project, env=chaos_env("chaos_daemons"))
        assert stop.returncode == 0, stop.stderr
        assert run.wait_exit(60) == 0, run.output
    finally:
        if run.proc.poll() is None:
            run.kill_everything()
    wait_for(lambda: not alive(second) and not alive(from_cmd), 10, "nothing left behind after kin stop")
    assert team_processes(project) == []


def test_ctrl_c_leaves_no_daemonised_grandchild(project, write):
    write("teams/t.toml", '[team]\ncycle = "0.2s"\nstop_timeout = "5s"\n[daemons.esc]\ntype = "escaper"\n'
                          'every = "1h"\nheartbeat = "0.5s"\nstart_seconds = "0.3s"\n')
    run = TeamRun(project, "t", chaos_env("chaos_daemons"))
    escaped = wait_for(lambda: pids(project / "escaped.pid"), 60, lambda: f"the escaped process\n{run.output}")[0]
    assert alive(escaped)
    assert run.stop() == 0
    wait_for(lambda: not alive(escaped), 10, "the escaped process gone with the team")
