"""Which files the map measures, counter failures, and the stat-only cache."""
from __future__ import annotations

import subprocess

from map_testing import words


def _paths(data):
    return {f["path"] for f in data["files"]}


def test_git_tree_lists_tracked_and_untracked_but_not_ignored_nor_binary(git_repo, write, kin_words):
    write(".gitignore", ".kin/\nignored.md\nbuild/\n")
    write("docs/tracked.md", words(5))
    write("build/out.txt", words(5))
    write("ignored.md", words(5))
    (git_repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(200))
    subprocess.run(["git", "add", "-A"], cwd=git_repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "files"], cwd=git_repo, check=True)
    write("notes/untracked.md", words(3))
    (git_repo / ".luciorbe.team.worker").write_text('{"schema": 1}')
    # atomic writes on their way (a luciorbe's, an edit's) exist for a moment: a scan that lists one skips it
    (git_repo / "..luciorbe.team.worker.x1y2z3_q.tmp").write_text('{"schema": 1, "a": "b c d"}')
    write("docs/.tracked.md.abc12345.tmp", words(50))
    write("docs/.draft.tmp", words(2))  # a user's own file of that kind stays
    data, _ = kin_words("map", "--json", "--write", cwd=git_repo)
    paths = _paths(data)
    assert {"docs/tracked.md", "notes/untracked.md", ".gitignore", "kin.toml", "docs/.draft.tmp"} <= paths
    assert not paths & {"ignored.md", "build/out.txt", "logo.png", ".luciorbe.team.worker", ".kin/map.md",
                        "..luciorbe.team.worker.x1y2z3_q.tmp", "docs/.tracked.md.abc12345.tmp"}
    assert data["skipped_binary"] == 1
    assert not any(p.startswith(".kin/") for p in paths)


def test_walk_outside_git_skips_default_excludes_and_applies_globs(project, write, kin_words):
    write("kin.toml", """
        [map]
        include = ["src/**", "docs/**", "*.md"]
        exclude = ["docs/private/**"]
    """)
    write("README.md", words(4))
    write("src/app.py", words(6))
    write("docs/guide.md", words(7))
    write("docs/private/secret.md", words(7))
    write("other/skip.txt", words(7))
    write("node_modules/pkg/index.js", words(9))
    write("env/pyvenv.cfg", "home = /usr\n")
    write("env/lib/site.py", words(9))
    write(".venv/lib/x.py", words(9))
    write("src/__pycache__/app.cpython-311.pyc", words(9))
    (project / "src" / "blob.bin").write_bytes(b"abc\0def")
    data, _ = kin_words("map", "--json", cwd=project)
    assert _paths(data) == {"README.md", "src/app.py", "docs/guide.md"}
    assert data["total_tokens"] == 17
    assert data["skipped_binary"] == 1


def test_a_failing_counter_marks_the_file_instead_of_counting_zero(project, write, kin_words):
    write("a.md", words(5))
    write("docs/boom.md", words(50))
    data, proc = kin_words("map", "--json", "--write", cwd=project)
    assert "docs/boom.md" not in _paths(data)
    assert data["complete"] is False
    assert data["errors"] == [{"path": "docs/boom.md", "error": "token count failed: RuntimeError: tokenizer exploded"}]
    assert "docs/boom.md: not counted" in proc.stderr
    text = (project / ".kin" / "map.md").read_text(encoding="utf-8")
    assert "boom.md ? ❓" in text and "❓ `docs/boom.md`: not counted" in text


def test_unchanged_files_are_not_read_again_and_changed_ones_are(project, write, kin_words, tmp_path):
    log = tmp_path / "counted.log"
    write("a.md", words(5))
    write("b.md", words(6))
    first, _ = kin_words("map", "--json", cwd=project, env={"MAP_WORDS_LOG": str(log)})
    assert sorted(log.read_text().split()) == ["a.md", "b.md", "kin.toml"]
    log.write_text("")
    second, _ = kin_words("map", "--json", cwd=project, env={"MAP_WORDS_LOG": str(log)})
    assert log.read_text() == ""  # every count came from the cache
    assert second["files"] == first["files"]
    write("b.md", words(60))
    third, _ = kin_words("map", "--json", cwd=project, env={"MAP_WORDS_LOG": str(log)})
    assert log.read_text().split() == ["b.md"]
    assert {f["path"]: f["tokens"] for f in third["files"]}["b.md"] == 60
    cache = project / ".kin" / "state" / "map-cache.json"
    assert cache.is_file() and '"b.md"' in cache.read_text()


def test_path_argument_limits_what_is_shown(project, write, kin_words):
    write("docs/a.md", words(5))
    write("src/b.py", words(7))
    data, _ = kin_words("map", "--json", "docs", cwd=project)
    assert _paths(data) == {"docs/a.md"} and data["scope"] == "docs"
    assert data["total_tokens"] == 5 + 7 + 3  # totals stay those of the whole project (kin.toml has 3 words)
    human = kin_words("map", "src", cwd=project)
    assert "b.py" in human.stdout and "a.md" not in human.stdout
    outside = kin_words("map", "../..", cwd=project, expect=2)
    assert "outside the workspace" in outside.stderr


def test_the_markdown_map_is_rewritten_only_when_what_it_shows_changes(project, write, kin_words):
    write("a.md", words(5))
    kin_words("map", "--write", cwd=project)
    out = project / ".kin" / "map.md"
    first = out.stat()
    # Nothing changed: the file (and its Generated time) is left alone.
    kin_words("map", "--write", cwd=project)
    assert (out.stat().st_ino, out.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    write("b.md", words(3))
    data, _ = kin_words("map", "--json", "--write", cwd=project)
    assert {"path": "b.md", "tokens": 3, "level": "ok", "size": len(words(3))} in data["files"]
    assert out.stat().st_ino != first.st_ino
    assert "- b.md <0.1k ✓" in out.read_text(encoding="utf-8")
    # An edited or removed map is written again even though the project did not change.
    out.write_text("edited by hand\n", encoding="utf-8")
    kin_words("map", "--write", cwd=project)
    assert "- b.md <0.1k ✓" in out.read_text(encoding="utf-8")
    out.unlink()
    kin_words("map", "--write", cwd=project)
    assert "- a.md <0.1k ✓" in out.read_text(encoding="utf-8")


def test_a_file_read_after_it_grew_or_shrank_is_read_whole(tmp_path):
    from shadeos_map.scanner import _read

    path = tmp_path / "grown.md"
    data = bytes(range(256)) * 9000  # over 2 MiB: more than one read after the expected size
    path.write_bytes(data)
    assert _read(str(path), 10) == data
    assert _read(str(path), len(data)) == data
    assert _read(str(path), len(data) * 2) == data


def test_a_change_between_two_cache_saves_is_saved_later_not_forgotten(project, write):
    import json

    from shadeos_core.kernel import Kernel
    from shadeos_core.testing import wait_for
    from shadeos_map.scanner import MapScanner

    write("a.md", words(5))
    scanner = MapScanner.for_kernel(Kernel.load(project))
    scanner.full_scan()  # saves the cache
    cache = project / ".kin" / "state" / "map-cache.json"
    assert set(json.loads(cache.read_text())["files"]) == {"a.md", "kin.toml"}
    write("b.md", words(7))
    assert scanner.update(["b.md"])
    assert "b.md" not in json.loads(cache.read_text())["files"]  # saves are spaced out while events come…
    wait_for(lambda: "b.md" in json.loads(cache.read_text())["files"], 30, "the put-off save")  # …and made
