"""``kin exec --mode interactive``: what the user types (or pipes in) reaches the process, its answers come back,
and its input closes at the end of ours."""
from __future__ import annotations

import sys


def test_kin_exec_interactive_relays_input_and_output(project, kin):
    program = ("import sys\n"
               "for line in sys.stdin:\n"
               "    print('got ' + line.strip().upper(), flush=True)\n"
               "print('input closed', file=sys.stderr)\n")
    done = kin("exec", "--mode", "interactive", "--", sys.executable, "-c", program, cwd=project,
               input="hello\nworld\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["got HELLO", "got WORLD"]
    assert "input closed" in done.stderr


def test_kin_exec_interactive_exits_with_the_process_code(project, kin):
    done = kin("exec", "--mode", "interactive", "--", sys.executable, "-c",
               "import sys; sys.exit(int(sys.stdin.readline()))", cwd=project, input="7\n")
    assert done.returncode == 7
