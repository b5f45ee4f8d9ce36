from pathlib import Path

import pytest

from shadeos_core import KinError, Workspace
from shadeos_core.durations import format_duration, parse_duration
from shadeos_core.workspace import check_name


def test_root_is_found_from_a_subdirectory_by_marker_priority(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    inner = tmp_path / "sub"
    (inner / "deep" / "er").mkdir(parents=True)
    (inner / "kin.toml").write_text("")
    # kin.toml outranks .git even though .git is found too
    assert Workspace.find(inner / "deep" / "er").root == inner.resolve()
    (inner / "kin.toml").unlink()
    assert Workspace.find(inner / "deep" / "er").root == tmp_path.resolve()


def test_without_any_marker_the_start_directory_is_the_root(tmp_path: Path):
    assert Workspace.find(tmp_path).root == tmp_path.resolve()


def test_state_dirs_are_created_lazily(project: Path):
    ws = Workspace(project)
    assert not (project / ".kin").exists()
    logs = ws.state_dir("logs")
    assert logs == project / ".kin" / "logs" and logs.is_dir()


@pytest.mark.parametrize("bad", ["../escape", "/etc/passwd", "a/../../b"])
def test_paths_leaving_the_workspace_are_rejected(project: Path, bad: str):
    with pytest.raises(KinError, match="outside the workspace"):
        Workspace(project).inside(bad)


def test_symlink_out_of_the_workspace_is_rejected(project: Path, tmp_path: Path):
    (project / "link").symlink_to(tmp_path)
    with pytest.raises(KinError, match="outside"):
        Workspace(project).inside("link/x")
    assert Workspace(project).inside("sub/x") == project / "sub" / "x"


@pytest.mark.parametrize("name", ["..", "../x", "a/b", ".hidden", "", "a b"])
def test_unsafe_names_are_rejected(name: str):
    with pytest.raises(KinError, match="invalid"):
        check_name(name)


def test_safe_names_pass():
    assert check_name("coding.production") == "coding.production"
    with pytest.raises(KinError):
        Workspace("/tmp").state_dir("mail", "../../etc")


@pytest.mark.parametrize("text, seconds", [("250ms", 0.25), ("60s", 60), ("5m", 300), ("1h30m", 5400), (2, 2.0),
                                           ("1.5s", 1.5), ("2d", 172800)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5 min", "abc", "", "-3s", True, -1, "5", "m5"])
def test_bad_durations_say_how_to_write_one(text):
    with pytest.raises(KinError) as info:
        parse_duration(text, where="teams/x.toml")
    assert "teams/x.toml" in str(info.value)


def test_format_duration():
    assert format_duration(0.5) == "0.5s"
    assert format_duration(125) == "2m05s"
    assert format_duration(7300) == "2h01m"
