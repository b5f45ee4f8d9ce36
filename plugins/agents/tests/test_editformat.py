"""SEARCH/REPLACE blocks: reading them out of replies as models write them, and applying them exactly."""
from __future__ import annotations

import pytest

from shadeos_agents.editformat import EditBlock, FormatError, NoMatch, apply_edit, parse_blocks

REPLY = """I'll make the change.

src/greet.py
```python
<<<<<<< SEARCH
def greet():
    return "hi"
=======
def greet(name):
    return f"hi {name}"
>>>>>>> REPLACE
```

And a new file:

docs/notes.md
```
<<<<<<< SEARCH
=======
# Notes
>>>>>>> REPLACE
```
"""


def test_blocks_are_read_with_their_paths_in_order():
    assert parse_blocks(REPLY) == [
        EditBlock("src/greet.py", 'def greet():\n    return "hi"\n', 'def greet(name):\n    return f"hi {name}"\n'),
        EditBlock("docs/notes.md", "", "# Notes\n"),
    ]


def test_blocks_in_a_row_share_the_path_above_them():
    reply = "a.txt\n```\n<<<<<<< SEARCH\none\n=======\n1\n>>>>>>> REPLACE\n<<<<<<< SEARCH\ntwo\n=======\n2\n" \
            ">>>>>>> REPLACE\n```\n"
    assert [(b.path, b.search, b.replace) for b in parse_blocks(reply)] == [("a.txt", "one\n", "1\n"),
                                                                           ("a.txt", "two\n", "2\n")]


def test_a_path_in_backticks_or_bold_or_after_a_hash_is_read():
    for line in ("`src/x.py`", "**src/x.py**", "# src/x.py", "src/x.py:"):
        assert parse_blocks(f"{line}\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n")[0].path == "src/x.py"


def test_prose_before_a_block_is_not_taken_for_a_path():
    with pytest.raises(FormatError, match="no file path"):
        parse_blocks("Here is what I would change in the code:\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n")


@pytest.mark.parametrize("broken, message", [
    ("f.py\n<<<<<<< SEARCH\na\n>>>>>>> REPLACE\n", "expected ======="),
    ("f.py\n<<<<<<< SEARCH\na\n=======\nb\n", "no >>>>>>> REPLACE"),
    ("f.py\n<<<<<<< SEARCH\na\n", "no ======= line"),
])
def test_a_broken_block_is_a_format_error_saying_what_is_missing(broken, message):
    with pytest.raises(FormatError, match=message):
        parse_blocks(broken)


def test_a_reply_without_blocks_has_none():
    assert parse_blocks("NOTHING TO DO") == []


def test_an_exact_match_is_replaced_once():
    assert apply_edit("a\nb\nc\n", "b\n", "B\n") == "a\nB\nc\n"


def test_an_empty_search_creates_a_file_but_never_overwrites_one():
    assert apply_edit(None, "", "new\n") == "new\n"
    assert apply_edit("", "", "new\n") == "new\n"
    with pytest.raises(NoMatch, match="already exists"):
        apply_edit("old\n", "", "new\n")


def test_a_search_on_a_missing_file_says_how_to_create_it():
    with pytest.raises(NoMatch, match="does not exist: to create it, leave SEARCH empty"):
        apply_edit(None, "x\n", "y\n", path="a.py")


def test_a_search_matching_twice_asks_for_more_lines():
    with pytest.raises(NoMatch, match="matches 2 places in a.py"):
        apply_edit("x = 1\nx = 1\n", "x = 1\n", "x = 2\n", path="a.py")


def test_a_search_that_does_not_match_shows_the_closest_lines_of_the_file():
    content = "def a():\n    return 1\n\ndef greet():\n    return 'hi'\n\ndef z():\n    pass\n"
    with pytest.raises(NoMatch) as info:
        apply_edit(content, "def greet():\n  return 'hi'\n", "x\n", path="m.py")
    message = str(info.value)
    assert "SEARCH does not match m.py exactly" in message
    assert "closest lines are 4-5:\ndef greet():\n    return 'hi'\n" in message


def test_a_search_ending_on_a_last_line_without_newline_matches_and_keeps_the_file_that_way():
    assert apply_edit("a\nlast", "last\n", "LAST\n") == "a\nLAST"


def test_nothing_alike_says_to_read_the_file_again():
    with pytest.raises(NoMatch, match="no lines like it"):
        apply_edit("aaaa\nbbbb\n", "zzzzzzzzzzzz qqqqqqqqq\n", "x\n")
