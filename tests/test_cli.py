"""The kin command line as a user meets it."""
import json
import subprocess
import sys

from helpers import plugin_env


def test_init_scaffolds_and_is_idempotent_and_never_overwrites(kin, tmp_path):
    (tmp_path / ".gitignore").write_text("node_modules/")  # no trailing newline
    first = kin("init", cwd=tmp_path, check=True)
    assert "created kin.toml" in first.stdout and "created teams/default.toml" in first.stdout
    assert (tmp_path / ".gitignore").read_text() == "node_modules/\n.kin/\n.luciorbe*\n"
    (tmp_path / "kin.toml").write_text("# mine\n")
    second = kin("init", cwd=tmp_path, check=True)
    assert "nothing to do" in second.stdout
    assert (tmp_path / "kin.toml").read_text() == "# mine\n"
    assert (tmp_path / ".gitignore").read_text().count(".kin/") == 1


def test_default_team_runs_every_installed_meta_daemon(kin, tmp_path):
    kin("init", cwd=tmp_path, env=plugin_env("sampledaemons"), check=True)
    text = (tmp_path / "teams/default.toml").read_text()
    assert "[meta.idle]" in text
    shown = json.loads(kin("teams", "show", "default", "--json", cwd=tmp_path, env=plugin_env("sampledaemons"),
                           check=True).stdout)
    assert "idle" in [m["name"] for m in shown["meta"]]


def test_a_team_name_is_a_command_and_without_a_runner_it_says_what_to_install(kin, project, write):
    write("teams/coding.toml", '[daemons.a]\ntype = "recorder"\n')
    disabled = "orchestrator"
    for args in (("coding",), ("run", "coding")):
        proc = kin(*args, cwd=project, env=plugin_env("sampledaemons", KIN_DISABLE_PLUGINS=disabled))
        assert proc.returncode == 2
        assert proc.stderr.strip().splitlines()[-1].startswith("kin: error: no installed plugin can run teams")
        assert "shadeos-orchestrator" in proc.stderr


def test_errors_are_one_line_with_exit_2_and_debug_shows_the_traceback(kin, project):
    proc = kin("nosuchteam", cwd=project)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no team named 'nosuchteam'" in proc.stderr
    debug = kin("--debug", "nosuchteam", cwd=project)
    assert debug.returncode == 2 and "Traceback" in debug.stderr
    usage = kin("teams", "--nope", cwd=project)
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1 and "--nope" in usage.stderr


def test_broken_kin_toml_is_a_clear_error(kin, project, write):
    write("kin.toml", "[teams.x\n")
    proc = kin("teams", cwd=project)
    assert proc.returncode == 2 and "kin.toml" in proc.stderr and "TOML syntax error" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_check_meeting_bad_configuration_says_it_as_it_is(kin, project, write):
    """The map check reads kin.toml's [map]: a typo there is its finding, in the words every table uses, not a
    failure of the check."""
    write("kin.toml", "[map]\nbudjet = 5\n")
    proc = kin("check", "--json", cwd=project)
    assert proc.returncode == 1, proc.stderr
    said = [f["message"] for f in json.loads(proc.stdout) if f["check"] == "map"]
    assert said == [f"{project / 'kin.toml'}:2: [map] budjet: unknown key (did you mean 'budget'?)"], said


def test_check_exit_codes_and_file_arguments(kin, project, write):
    env = plugin_env("bad_check")
    clean = kin("check", "--json", cwd=project, env=env)
    findings = json.loads(clean.stdout)
    assert clean.returncode == 1  # the exploding check is an error finding, not a crash
    assert [f["check"] for f in findings] == ["explodes"] and "ValueError: boom" in findings[0]["message"]
    write("a.bad", "x")
    write("b.txt", "x")
    env = plugin_env("bad_check", KIN_DISABLE_PLUGINS="")
    only_txt = json.loads(kin("-p", "no:core", "check", "--json", "b.txt", cwd=project, env=env).stdout)
    assert [f["check"] for f in only_txt] == ["explodes"]
    with_bad = kin("check", "a.bad", cwd=project, env=env)
    assert with_bad.returncode == 1 and "a.bad: bad file" in with_bad.stdout
    outside = kin("check", "../x", cwd=project, env=env)
    assert outside.returncode == 2 and "outside the workspace" in outside.stderr


def test_check_reports_invalid_team_files(kin, project, write):
    write("teams/t.toml", '[daemons.a]\ntype = "recorder"\nevery = "5 min"\n')
    proc = kin("check", cwd=project, env=plugin_env("sampledaemons"))
    assert proc.returncode == 1 and "bad duration '5 min'" in proc.stdout and "teams/t.toml:3" in proc.stdout


def test_help_imports_nothing_heavy(project):
    """`kin --help` must stay fast: no plugin may import its heavy libraries on this path."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "shadeos_core", "--help"], cwd=project,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Usage" in proc.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    heavy = {"whoosh", "watchdog", "jinja2", "sqlite3", "psutil", "tiktoken", "multiprocessing", "asyncio"}
    assert imported & heavy == set(), f"heavy modules imported by kin --help: {sorted(imported & heavy)}"


def test_status_without_a_running_team(kin, project):
    data = json.loads(kin("status", "--json", cwd=project, check=True).stdout)
    assert data["team"] is None and data["daemons"] == [] and data["running"] is False


def test_version(kin, project):
    assert kin("--version", cwd=project, check=True).stdout.startswith("kin, version ")
