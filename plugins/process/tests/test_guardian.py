"""The guardian: a parent's death, however it comes, takes its children's whole trees, and nothing else."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import psutil

from shadeos_process.guard import SCRIPT as GUARDIAN

TREE = "sleep 300 & sleep 300"


def _tree(pid: int) -> list[int]:
    try:
        return [pid] + [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def test_sigkill_of_a_parent_takes_every_mode_s_tree_grandchildren_included(project, reaper, gone, wait_until):
    # The blocking run goes in a thread so that the main thread can say when all four are reported.
    parent_code = textwrap.dedent(f"""
        import threading, time
        from shadeos_process import ExecutionMode, execute_command, guard
        for m in (ExecutionMode.BACKGROUND, ExecutionMode.MONITORED, ExecutionMode.INTERACTIVE):
            execute_command(["sh", "-c", {TREE!r}], mode=m)
        threading.Thread(target=execute_command, args=(["sh", "-c", {TREE!r}],)).start()  # BLOCKING
        while len(guard.watched()) < 4:
            time.sleep(0.01)
        print(*guard.watched(), flush=True)
        time.sleep(300)
    """)
    parent = subprocess.Popen([sys.executable, "-c", parent_code], cwd=project, stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    reaper.append(parent.pid)
    shells = [int(p) for p in parent.stdout.readline().split()]
    reaper.extend(shells)
    assert len(shells) == 4
    # each shell has its two sleeps (or exec'd into the second one, which keeps the first as its child)
    trees = wait_until(lambda: [t for t in map(_tree, shells) if len(t) >= 2] if all(
        len(_tree(s)) >= 2 for s in shells) else None, what="every shell's sleeps")
    members = [pid for tree in trees for pid in tree]
    reaper.extend(members)
    assert len(members) >= 8 and not any(gone(p) for p in members)
    parent.kill()
    parent.wait(timeout=10)
    wait_until(lambda: all(gone(p) for p in members), timeout=20,
               what=lambda: f"every process of the trees to go; left: {[p for p in members if not gone(p)]}")


def _start_guardian(parent_of_guardian_code: str, cwd: os.PathLike[str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", parent_of_guardian_code], cwd=cwd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)


def test_a_pid_whose_start_time_differs_is_not_signalled(project, reaper, gone, wait_until):
    # Two sleeps reported to a guardian: one as it is, one with a start time it does not have, as a reused pid
    # would show. When the guardian's parent ends, the first is stopped and the second left alone.
    ours = subprocess.Popen(["sleep", "300"], start_new_session=True)
    other = subprocess.Popen(["sleep", "300"], start_new_session=True)
    reaper.extend([ours.pid, other.pid])
    try:
        real = psutil.Process(other.pid).create_time()
        code = textwrap.dedent(f"""
            import os, subprocess, sys
            read_end, write_end = os.pipe()
            guardian = subprocess.Popen([sys.executable, "-I", "-S", {GUARDIAN!r}, str(os.getpid())],
                                        stdin=read_end, start_new_session=True)
            os.close(read_end)
            os.write(write_end, b"+{ours.pid}\\n+{other.pid} {real - 1000.0}\\n")
            print(guardian.pid, flush=True)
            sys.stdin.readline()
        """)
        parent = _start_guardian(code, project)
        reaper.append(parent.pid)
        guardian = int(parent.stdout.readline())
        reaper.append(guardian)
        assert not gone(guardian)
        parent.stdin.close()  # the parent exits normally
        parent.wait(timeout=10)
        wait_until(lambda: gone(guardian), what="the guardian to exit after its parent")
        assert ours.wait(timeout=10) == -signal.SIGTERM
        assert other.poll() is None and not gone(other.pid)
    finally:
        ours.kill()
        other.kill()
        ours.wait()
        other.wait()


def test_the_guardian_starts_with_the_first_child_and_exits_with_its_parent(project, reaper, gone, wait_until):
    code = textwrap.dedent("""
        import sys
        from shadeos_process import ExecutionMode, execute_command, guard
        before = guard.guardian_pid()
        execute_command(["true"])
        first = guard.guardian_pid()
        execute_command(["true"])
        bg = execute_command(["sleep", "300"], mode=ExecutionMode.BACKGROUND)
        print(before, first, guard.guardian_pid(), bg.pid, flush=True)
        sys.stdin.readline()
    """)
    parent = _start_guardian(code, project)
    reaper.append(parent.pid)
    before, first, again, left_running = parent.stdout.readline().split()
    guardian, left_running = int(first), int(left_running)
    reaper.extend([guardian, left_running])
    assert before == "None" and again == first  # none until a child is started, then one only
    assert psutil.Process(guardian).ppid() == parent.pid and not gone(guardian)
    parent.stdin.close()
    assert parent.wait(timeout=10) == 0
    wait_until(lambda: gone(guardian) and gone(left_running), what="the guardian and the child it stops to go")


def test_a_forked_process_gets_its_own_guardian_and_does_not_hold_its_parent_s(project, reaper, gone, wait_until):
    code = textwrap.dedent("""
        import json, os, sys, time
        from shadeos_process import ExecutionMode, execute_command, guard
        execute_command(["true"])
        inherited = os.readlink(f"/proc/self/fd/{guard._state.fd}")  # the parent's pipe to its guardian, "pipe:[N]"
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(read_end)
            links = {}
            for fd in os.listdir("/proc/self/fd"):
                try:
                    links[fd] = os.readlink(f"/proc/self/fd/{fd}")
                except OSError:
                    continue
            held = [fd for fd, link in links.items() if link == inherited]
            bg = execute_command(["sleep", "300"], mode=ExecutionMode.BACKGROUND)
            os.write(write_end, json.dumps({"guardian": guard.guardian_pid(), "held": held, "sleep": bg.pid}).encode())
            os.close(write_end)
            time.sleep(300)
            os._exit(0)
        os.close(write_end)
        forked = json.loads(os.read(read_end, 4096))
        mine = {"guardian": guard.guardian_pid(), "child": child}
        print(json.dumps({**mine, **{"forked_" + k: v for k, v in forked.items()}}), flush=True)
        sys.stdin.readline()
    """)
    parent = _start_guardian(code, project)
    reaper.append(parent.pid)
    seen = json.loads(parent.stdout.readline())
    reaper.extend([seen["guardian"], seen["child"], seen["forked_guardian"], seen["forked_sleep"]])
    assert seen["forked_held"] == []  # the fork closed its copy of the parent's pipe
    assert seen["forked_guardian"] not in (None, seen["guardian"])
    assert psutil.Process(seen["forked_guardian"]).ppid() == seen["child"]
    os.kill(seen["child"], signal.SIGKILL)  # the forked process dies: its guardian stops its sleep
    wait_until(lambda: gone(seen["forked_sleep"]) and gone(seen["forked_guardian"]),
               what="the forked process's sleep and guardian to go")
    assert not gone(seen["guardian"])  # the parent's guardian is untouched
    parent.stdin.close()
    parent.wait(timeout=10)
    wait_until(lambda: gone(seen["guardian"]), what="the parent's guardian to exit with it")


def test_without_a_guardian_children_still_die_with_their_parent(project, reaper, gone, wait_until):
    code = textwrap.dedent("""
        import sys
        sys.executable = "/nonexistent/python"  # the guardian cannot start
        from shadeos_process import execute_command, guard
        print(execute_command(["true"]).returncode, guard.guardian_pid(), flush=True)
        execute_command(["sleep", "300"])
    """)
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=project, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    reaper.append(parent.pid)
    assert parent.stdout.readline().split() == ["0", "None"]
    sleep = wait_until(lambda: [c.pid for c in psutil.Process(parent.pid).children()], what="the blocking sleep")
    reaper.extend(sleep)
    parent.kill()
    parent.wait(timeout=10)
    wait_until(lambda: all(gone(p) for p in sleep), what="the sleep to die with its parent (PR_SET_PDEATHSIG)")
    lines = [line for line in parent.stderr.read().splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot start the process guardian" in lines[0]


def test_an_idle_guardian_is_retired_and_the_next_child_starts_a_new_one(project, reaper, gone, wait_until):
    code = textwrap.dedent("""
        import sys, time
        from shadeos_process import execute_command, guard
        guard.IDLE_RETIRE = 0.3
        execute_command(["true"])
        first = guard.guardian_pid()
        print(first, flush=True)
        sys.stdin.readline()                 # the test saw the first guardian go
        print(guard.guardian_pid(), flush=True)
        execute_command(["true"])
        print(guard.guardian_pid(), flush=True)
        sys.stdin.readline()
    """)
    parent = _start_guardian(code, project)
    reaper.append(parent.pid)
    first = int(parent.stdout.readline())
    reaper.append(first)
    wait_until(lambda: gone(first), what="the idle guardian retired")
    parent.stdin.write("go\n")
    parent.stdin.flush()
    assert parent.stdout.readline().strip() == "None"  # no guardian while no child lives
    second = int(parent.stdout.readline())
    reaper.append(second)
    assert second != first and not gone(second)
    parent.stdin.close()
    assert parent.wait(timeout=10) == 0
