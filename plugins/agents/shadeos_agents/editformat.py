"""SEARCH/REPLACE edits: reading them out of a model's reply, and applying one to a file's text.

The format many models already know::

    src/parser.py
    ```python
    <<<<<<< SEARCH
    def parse(text):
        return None
    =======
    def parse(text):
        return text.split()
    >>>>>>> REPLACE
    ```

The file path stands on its own line before the fence (or before the block);
several blocks in a row may share one path. An empty SEARCH creates a new
file. A SEARCH must match the file exactly, once: when it does not, the error
names the closest lines of the file so the model can correct itself.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

__all__ = ["EditBlock", "FormatError", "NoMatch", "parse_blocks", "apply_edit", "FORMAT_HELP"]

_HEAD = re.compile(r"^\s*<{5,9} ?SEARCH\s*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_TAIL = re.compile(r"^\s*>{5,9} ?REPLACE\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")

FORMAT_HELP = """\
To change a file, reply with SEARCH/REPLACE blocks. For each change: the file's path on its own line, then
a fenced block holding `<<<<<<< SEARCH`, the exact lines to replace (copied from the file, whitespace
included), `=======`, the new lines, `>>>>>>> REPLACE`. Keep SEARCH short but unique in the file.
To create a file, leave SEARCH empty. Example:

src/greet.py
```python
<<<<<<< SEARCH
def greet():
    return "hi"
=======
def greet(name):
    return f"hi {name}"
>>>>>>> REPLACE
```"""


@dataclass(frozen=True)
class EditBlock:
    """One SEARCH/REPLACE block: ``search`` empty means create ``path``."""

    path: str
    search: str
    replace: str


class FormatError(ValueError):
    """A reply whose blocks cannot be read (a marker missing, no file path)."""


class NoMatch(ValueError):
    """A SEARCH that does not match the file exactly once; the message shows the closest lines."""


def _path_of(line: str) -> str:
    text = line.strip().strip("`*").strip()
    text = text.removeprefix("#").strip().rstrip(":").strip("`*").strip()
    return text


def parse_blocks(reply: str) -> list[EditBlock]:
    """Every SEARCH/REPLACE block of ``reply``, in order; :class:`FormatError` for a broken one."""
    lines = reply.splitlines()
    blocks: list[EditBlock] = []
    last_path = ""
    i = 0
    while i < len(lines):
        if not _HEAD.match(lines[i]):
            i += 1
            continue
        path = _path_before(lines, i) or last_path
        if not path:
            raise FormatError(f"line {i + 1}: a SEARCH block with no file path before it "
                              "(put the path on its own line above the block)")
        search: list[str] = []
        j = i + 1
        while j < len(lines) and not _DIVIDER.match(lines[j]):
            if _HEAD.match(lines[j]) or _TAIL.match(lines[j]):
                raise FormatError(f"line {j + 1}: expected ======= before {lines[j].strip()!r} (block for {path})")
            search.append(lines[j])
            j += 1
        if j >= len(lines):
            raise FormatError(f"the block for {path} has no ======= line")
        replace: list[str] = []
        k = j + 1
        while k < len(lines) and not _TAIL.match(lines[k]):
            if _HEAD.match(lines[k]) or _DIVIDER.match(lines[k]):
                raise FormatError(f"line {k + 1}: expected >>>>>>> REPLACE before {lines[k].strip()!r} "
                                  f"(block for {path})")
            replace.append(lines[k])
            k += 1
        if k >= len(lines):
            raise FormatError(f"the block for {path} has no >>>>>>> REPLACE line")
        blocks.append(EditBlock(path, _joined(search), _joined(replace)))
        last_path = path
        i = k + 1
    return blocks


def _joined(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _path_before(lines: list[str], head: int) -> str:
    """The file path written above a block: the nearest line that is neither blank nor a fence ("" if none)."""
    for back in range(head - 1, max(-1, head - 4), -1):
        line = lines[back]
        if not line.strip() or _FENCE.match(line):
            continue
        if _TAIL.match(line):
            return ""  # blocks in a row: the previous block's path holds
        candidate = _path_of(line)
        words = candidate.split()
        if len(words) == 1 or (len(words) <= 3 and ("/" in candidate or "." in candidate)):
            return candidate
        return ""
    return ""


def apply_edit(content: str | None, search: str, replace: str, *, path: str = "the file") -> str:
    """``content`` with ``search`` replaced by ``replace``; ``content`` ``None`` means the file does not exist.

    An empty ``search`` creates the file (refused when it already has content).
    """
    if not search.strip():
        if content:
            raise NoMatch(f"{path} already exists: an empty SEARCH only creates new files; "
                          "copy the lines to change into SEARCH instead")
        return replace
    if content is None:
        raise NoMatch(f"{path} does not exist: to create it, leave SEARCH empty")
    count = content.count(search)
    if count == 1:
        return content.replace(search, replace, 1)
    if count > 1:
        raise NoMatch(f"SEARCH matches {count} places in {path}: add lines around it so it matches exactly one")
    if search.endswith("\n") and not content.endswith("\n") and (content + "\n").count(search) == 1:
        # the file lacks a final newline and SEARCH ends on its last line
        updated = (content + "\n").replace(search, replace, 1)
        return updated[:-1] if updated.endswith("\n") else updated
    raise NoMatch(_no_match_message(content, search, path))


def _no_match_message(content: str, search: str, path: str) -> str:
    file_lines = content.splitlines()
    want = search.splitlines()
    best = closest_lines(file_lines, want)
    head = f"SEARCH does not match {path} exactly."
    if best is None:
        return head + " The file has no lines like it; read the file again and copy the lines exactly."
    start, end = best
    shown = "\n".join(file_lines[start:end])
    return (f"{head} The closest lines are {start + 1}-{end}:\n{shown}\n"
            "Copy the lines exactly as they are in the file (whitespace included) into SEARCH.")


def closest_lines(file_lines: list[str], want: list[str], *, limit: int = 20000) -> tuple[int, int] | None:
    """The ``(start, end)`` line range of ``file_lines`` most like ``want`` (``None`` when nothing is alike)."""
    size = max(1, len(want))
    target = "\n".join(want)
    best: tuple[float, int] = (0.0, -1)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(target)
    for start in range(max(1, min(len(file_lines), limit) - size + 1)):
        window = "\n".join(file_lines[start:start + size])
        matcher.set_seq1(window)
        if matcher.real_quick_ratio() <= best[0] or matcher.quick_ratio() <= best[0]:
            continue
        ratio = matcher.ratio()
        if ratio > best[0]:
            best = (ratio, start)
    if best[1] < 0 or best[0] < 0.3:
        return None
    return best[1], min(len(file_lines), best[1] + size)
