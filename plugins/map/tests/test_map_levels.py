"""Levels and markers at the thresholds, through the real ``kin map`` and the rendered Markdown."""
from __future__ import annotations

from map_testing import words

from shadeos_map.model import level_for
from shadeos_map.render import ktok


def test_level_boundaries_default_thresholds():
    assert level_for(0, 6000, 12000) == "ok"
    assert level_for(6000, 6000, 12000) == "ok"
    assert level_for(6001, 6000, 12000) == "long"
    assert level_for(12000, 6000, 12000) == "long"
    assert level_for(12001, 6000, 12000) == "too_long"


def test_ktok_formats():
    assert [ktok(0), ktok(42), ktok(6000), ktok(12001), ktok(128000), ktok(None)] == \
        ["0.0k", "<0.1k", "6.0k", "12.0k", "128k", "?"]


def test_levels_and_markers_at_boundaries_in_json_and_markdown(project, write, kin_words):
    for n in (6000, 6001, 12000, 12001):
        write(f"docs/w{n}.md", words(n))
    data, _ = kin_words("map", "--json", "--write", cwd=project)
    levels = {f["path"]: (f["tokens"], f["level"]) for f in data["files"]}
    assert levels["docs/w6000.md"] == (6000, "ok")
    assert levels["docs/w6001.md"] == (6001, "long")
    assert levels["docs/w12000.md"] == (12000, "long")
    assert levels["docs/w12001.md"] == (12001, "too_long")
    assert data["total_tokens"] == sum(t for t, _ in levels.values())
    assert data["written"] == ".kin/map.md"

    text = (project / ".kin" / "map.md").read_text(encoding="utf-8")
    tree, warnings = text.split("## Warnings")
    assert "- w6000.md 6.0k ✓" in tree
    assert "- w6001.md 6.0k ⚠️" in tree
    assert "- w12000.md 12.0k ⚠️" in tree
    assert "- w12001.md 12.0k 🔴" in tree
    assert "**docs/** (36.0k)" in tree
    assert "🔴 `docs/w12001.md`" in warnings and "Split it" in warnings
    assert "⚠️ `docs/w6001.md`" in warnings and "⚠️ `docs/w12000.md`" in warnings
    assert "w6000.md" not in warnings


def test_thresholds_come_from_kin_toml(project, write, kin_words):
    write("kin.toml", """
        [map]
        long = 10
        too_long = 20
        output = "map (readonly).md"
        exclude = ["*.toml"]
    """)
    write("a.md", words(10))
    write("b.md", words(11))
    write("c.md", words(21))
    data, _ = kin_words("map", "--json", "--write", cwd=project)
    levels = {f["path"]: f["level"] for f in data["files"]}
    assert levels == {"a.md": "ok", "b.md": "long", "c.md": "too_long"}
    assert data["thresholds"] == {"long": 10, "too_long": 20}
    written = project / "map (readonly).md"
    assert written.is_file() and "c.md" in written.read_text(encoding="utf-8")
    # The map's own file is never measured, even after it exists.
    again, _ = kin_words("map", "--json", cwd=project)
    assert "map (readonly).md" not in {f["path"] for f in again["files"]}


def test_bad_map_section_is_one_line_config_error(project, write, kin_words):
    write("kin.toml", """
        [map]
        too_lang = 5
    """)
    proc = kin_words("map", cwd=project, expect=2)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "too_lang" in lines[0] and "too_long" in lines[0]
    assert "Traceback" not in proc.stderr
