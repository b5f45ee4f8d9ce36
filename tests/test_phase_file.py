"""The phase file has one reader: absent, damaged or hostile content is no phase, never a crash."""
from pathlib import Path

import pytest

from shadeos_core import Workspace
from shadeos_core.phase import phase_path, read_phase


@pytest.mark.parametrize("content, phase", [
    ('{"phase": "convergence", "ratio": 0.7}', "convergence"),
    ('{"phase": "review"}', "review"),  # a team's own phase name
    ('{"phase": ""}', None),
    ('{"phase": 3}', None),
    ('["convergence"]', None),
    ('{"phase": "conv', None),
    ("\xff\xfe", None),
])
def test_the_phase_a_file_names(project: Path, content: str, phase: str | None) -> None:
    workspace = Workspace(project)
    path = phase_path(workspace)
    path.parent.mkdir(parents=True)
    path.write_bytes(content.encode("utf-8", "surrogateescape") if content != "\xff\xfe" else b"\xff\xfe")
    assert read_phase(workspace) == phase


def test_no_phase_file_is_no_phase_and_creates_nothing(project: Path) -> None:
    workspace = Workspace(project)
    assert read_phase(workspace) is None and not (project / ".kin").exists()
